import { describe, expect, it } from 'vitest'
import { averageRanks, pearson, spearman, spearmanMatrix } from '../../../components/lib/stats'

describe('averageRanks', () => {
  it('ranks ascending from 1 and averages ties (scipy rankdata "average")', () => {
    expect(averageRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1])
    expect(averageRanks([3, 3, 3])).toEqual([2, 2, 2])
    expect(averageRanks([-1, 0.5, -2])).toEqual([2, 3, 1])
    expect(averageRanks([])).toEqual([])
  })
})

describe('spearman', () => {
  it('is +1 / −1 for perfectly monotone agreement / reversal', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1)
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 100])).toBe(1) // monotone, not linear
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1)
  })

  it('matches scipy.stats.spearmanr with ties', () => {
    // scipy 1.x: spearmanr([1,2,3,4,5],[5,6,7,8,7]).statistic
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12)
    // spearmanr([3,1,4,1,5,9,2,6],[2,7,1,8,2,8,1,8]).statistic
    expect(spearman([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8])).toBeCloseTo(0.19885368120992467, 12)
  })

  it('without ties equals 1 − 6Σd²/(n(n²−1))', () => {
    const x = [0.3, -1.2, 2.5, 0.1, 0.9, -0.4]
    const y = [1.1, 0.2, 0.4, -0.3, 2.0, -1.0]
    const rx = averageRanks(x)
    const ry = averageRanks(y)
    const n = x.length
    const d2 = rx.reduce((s, r, i) => s + (r - ry[i]!) ** 2, 0)
    expect(spearman(x, y)).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 12)
  })

  it('is null (not NaN) when undefined and rejects bad input', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNull()
    expect(spearman([1], [2])).toBeNull()
    expect(() => spearman([1, 2], [1])).toThrow(/lengths differ/)
    expect(() => spearman([1, Number.NaN], [1, 2])).toThrow(/finite/)
    expect(pearson([0, 0], [1, 2])).toBeNull()
  })
})

describe('spearmanMatrix', () => {
  it('is symmetric with a unit diagonal and pairwise ρ off it', () => {
    const rows = [[1, 2, 3, 4, 5], [5, 6, 7, 8, 7], [5, 4, 3, 2, 1], [2, 2, 2, 2, 2]]
    const m = spearmanMatrix(rows)
    expect(m[0]![0]).toBe(1)
    expect(m[1]![1]).toBe(1)
    expect(m[0]![1]).toBeCloseTo(0.8207826816681233, 12)
    expect(m[1]![0]).toBe(m[0]![1])
    expect(m[0]![2]).toBe(-1)
    expect(m[3]![3]).toBeNull() // a constant method has no ranking
    expect(m[0]![3]).toBeNull()
  })
})
