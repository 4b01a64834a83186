import { describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import {
  binaryCosineSimilarity,
  FeatureAblation,
  KernelShap,
  Lime,
  limeSimilarity,
  shapleyPermutationWalk,
  ShapleyValues,
  ShapleyValueSampling,
  shapleyWeight,
} from '../../../engine/methods'
import { maskForward, maxAbsDiff } from './helpers'

// A linear model in the interpretable space: f(m) = c + Σ w_j x_j m_j (baseline 0),
// so (x − b)·w = x_j w_j is every method's exact answer.
const w = [0.5, -1.25, 2, 0.75, -0.3]
const x = [1, 2, 1, 3, 2]
const c = 0.1
const linear = (m: Uint8Array) => [c + w.reduce((s, wj, j) => s + wj * x[j]! * m[j]!, 0), 2 * w[0]! * m[0]!]
const exactLinear = w.map((wj, j) => wj * x[j]!)

// A nonlinear game with interactions, a symmetric pair (1, 2) and a null player (4).
function game(m: Uint8Array): number[] {
  const v = 1.5 * m[0]! + m[1]! + m[2]! + 2 * m[0]! * m[1]! + 2 * m[0]! * m[2]! - 1.2 * m[1]! * m[2]! * m[3]! + 0.7 * m[3]!
    + Math.sin(m[0]! + m[3]!)
  return [v, v * v]
}

describe('linear model: FeatureAblation = ShapleyValues = ShapleyValueSampling = x·w', () => {
  it('gives the exact products for every output column', async () => {
    const fa = await new FeatureAblation(maskForward(linear)).attribute({ nFeatures: 5 })
    const sv = await new ShapleyValues(maskForward(linear)).attribute({ nFeatures: 5 })
    const svs = await new ShapleyValueSampling(maskForward(linear)).attribute({ nFeatures: 5, nSamples: 3, seed: 9 })
    for (const r of [fa, sv, svs]) {
      expect(maxAbsDiff(r.attributions[0]!, exactLinear)).toBeLessThan(1e-12)
      expect(maxAbsDiff(r.attributions[1]!, [2 * w[0]!, 0, 0, 0, 0])).toBeLessThan(1e-12)
    }
    expect(fa.evaluations).toBe(6)
    expect(sv.evaluations).toBe(32)
  })

  it('method KernelShap and Lime (alpha = 0) recover a linear model exactly', async () => {
    const ks = await new KernelShap(maskForward(linear)).attribute({ nFeatures: 5, nSamples: 60, seed: 3 })
    expect(maxAbsDiff(ks.attributions[0]!, exactLinear)).toBeLessThan(1e-9)
    expect(ks.intercepts[0]).toBeCloseTo(c, 9)
    const lime = await new Lime(maskForward(linear)).attribute({ nFeatures: 5, nSamples: 80, seed: 3, alpha: 0 })
    expect(maxAbsDiff(lime.attributions[0]!, exactLinear)).toBeLessThan(1e-4)
  })
})

function binom(n: number, k: number): number {
  let r = 1
  for (let i = 1; i <= k; i++) r = r * (n - k + i) / i
  return r
}

describe('the Shapley properties on a nonlinear game', () => {
  it('exact by coalitions equals Captum\'s permutation walk', async () => {
    const a = await new ShapleyValues(maskForward(game)).attribute({ nFeatures: 5 })
    const b = await shapleyPermutationWalk(maskForward(game), { nFeatures: 5 })
    expect(maxAbsDiff(a.attributions[0]!, b.attributions[0]!)).toBeLessThan(1e-12)
    expect(maxAbsDiff(a.attributions[1]!, b.attributions[1]!)).toBeLessThan(1e-12)
    // efficiency, symmetry, null player
    const all = game(Uint8Array.of(1, 1, 1, 1, 1))[0]!
    const none = game(Uint8Array.of(0, 0, 0, 0, 0))[0]!
    expect(a.attributions[0]!.reduce((s, v) => s + v, 0)).toBeCloseTo(all - none, 12)
    expect(a.attributions[0]![1]).toBeCloseTo(a.attributions[0]![2]!, 12)
    expect(a.attributions[0]![4]).toBe(0)
    expect(shapleyWeight(3, 0)).toBeCloseTo(1 / 3, 15)
    expect(shapleyWeight(3, 1)).toBeCloseTo(1 / 6, 15)
  })

  it('method ShapleyValueSampling: efficiency for any draw, null player 0, converges to exact', async () => {
    const exact = (await new ShapleyValues(maskForward(game)).attribute({ nFeatures: 5 })).attributions[0]!
    const few = await new ShapleyValueSampling(maskForward(game)).attribute({ nFeatures: 5, nSamples: 2, seed: 4 })
    const sum = few.attributions[0]!.reduce((s, v) => s + v, 0)
    expect(sum).toBeCloseTo(game(Uint8Array.of(1, 1, 1, 1, 1))[0]! - game(new Uint8Array(5))[0]!, 12)
    expect(few.attributions[0]![4]).toBe(0)
    const many = await new ShapleyValueSampling(maskForward(game)).attribute({ nFeatures: 5, nSamples: 2000, seed: 4 })
    expect(maxAbsDiff(many.attributions[0]!, exact)).toBeLessThan(0.05)
    // memoized: never more rows than the 32 distinct coalitions
    expect(many.evaluations).toBeLessThanOrEqual(32)
    // all permutations of 5 = exact Shapley
    const perms: number[][] = []
    const rec = (p: number[]) => p.length === 5 ? perms.push(p) : [0, 1, 2, 3, 4].filter(j => !p.includes(j)).forEach(j => rec([...p, j]))
    rec([])
    const full = await new ShapleyValueSampling(maskForward(game)).attribute({ nFeatures: 5, permutations: perms })
    expect(maxAbsDiff(full.attributions[0]!, exact)).toBeLessThan(1e-12)
  })

  it('additive game: ShapleyValueSampling is exact for any nSamples', async () => {
    const add = (m: Uint8Array) => [3 * m[0]! - m[1]! + 0.5 * m[2]! + 7]
    for (const n of [1, 2, 5]) {
      const r = await new ShapleyValueSampling(maskForward(add)).attribute({ nFeatures: 3, nSamples: n, seed: n })
      expect(maxAbsDiff(r.attributions[0]!, [3, -1, 0.5])).toBeLessThan(1e-12)
    }
  })

  it('method KernelShap over all coalitions with Shapley-kernel weights equals exact Shapley', async () => {
    const M = 5
    const exact = (await new ShapleyValues(maskForward(game)).attribute({ nFeatures: M })).attributions
    const coalitions: Uint8Array[] = []
    const weights: number[] = []
    for (let bits = 0; bits < 2 ** M; bits++) {
      const m = new Uint8Array(M)
      let k = 0
      for (let j = 0; j < M; j++) {
        m[j] = (bits >> j) & 1
        k += m[j]!
      }
      coalitions.push(m)
      weights.push(k === 0 || k === M ? 1e6 : (M - 1) / (binom(M, k) * k * (M - k)))
    }
    const ks = await new KernelShap(maskForward(game)).attribute({ nFeatures: M, coalitions, weights })
    expect(maxAbsDiff(ks.attributions[0]!, exact[0]!)).toBeLessThan(1e-5)
    expect(maxAbsDiff(ks.attributions[1]!, exact[1]!)).toBeLessThan(1e-4)
    // Sampled KernelShap (Captum's sampling) approaches exact Shapley with many samples.
    const sampled = await new KernelShap(maskForward(game)).attribute({ nFeatures: M, nSamples: 4000, seed: 11 })
    expect(maxAbsDiff(sampled.attributions[0]!, exact[0]!)).toBeLessThan(0.05)
    expect(sampled.evaluations).toBeLessThanOrEqual(32)
    expect(sampled.coalitions).toHaveLength(4000)
    expect(sampled.weights.slice(0, 3)).toEqual([1e6, 1e6, 1])
    expect([...sampled.coalitions[0]!]).toEqual([1, 1, 1, 1, 1])
    expect([...sampled.coalitions[1]!]).toEqual([0, 0, 0, 0, 0])
  })
})

describe('determinism, batching, progress, cancel, errors', () => {
  const runs = {
    svs: (ppe: number, seed = 5) => new ShapleyValueSampling(maskForward(game)).attribute({ nFeatures: 5, nSamples: 7, seed, perturbationsPerEval: ppe }),
    ks: (ppe: number, seed = 5) => new KernelShap(maskForward(game)).attribute({ nFeatures: 5, nSamples: 40, seed, perturbationsPerEval: ppe }),
    lime: (ppe: number, seed = 5) => new Lime(maskForward(game)).attribute({ nFeatures: 5, nSamples: 40, seed, perturbationsPerEval: ppe }),
    fa: (ppe: number) => new FeatureAblation(maskForward(game)).attribute({ nFeatures: 5, perturbationsPerEval: ppe }),
    sv: (ppe: number) => new ShapleyValues(maskForward(game)).attribute({ nFeatures: 5, perturbationsPerEval: ppe }),
  }

  it('perturbationsPerEval 1, 7 and 1000 give bitwise-equal results', async () => {
    for (const [name, run] of Object.entries(runs)) {
      const [a, b, c2] = await Promise.all([run(1), run(7), run(1000)])
      expect(b.attributions, name).toEqual(a.attributions)
      expect(c2.attributions, name).toEqual(a.attributions)
      expect(a.forwardCalls, name).toBe(a.evaluations)
      expect(c2.forwardCalls, name).toBe(1)
    }
  })

  it('same seed → same numbers; different seed → different draws', async () => {
    expect((await runs.ks(3, 1)).attributions).toEqual((await runs.ks(64, 1)).attributions)
    expect((await runs.ks(3, 1)).coalitions).not.toEqual((await runs.ks(3, 2)).coalitions)
    expect((await runs.lime(3, 1)).attributions).toEqual((await runs.lime(3, 1)).attributions)
    expect((await runs.svs(3, 1)).permutations).not.toEqual((await runs.svs(3, 2)).permutations)
  })

  it('progress reaches the total and cancel rejects with "cancelled"', async () => {
    let last = { done: 0, total: -1 }
    await new ShapleyValues(maskForward(game)).attribute({ nFeatures: 5, perturbationsPerEval: 5 }, { onProgress: p => (last = p) })
    expect(last.done).toBe(32)
    expect(last.total).toBe(32)
    const ctl = new AbortController()
    let calls = 0
    const fwd = maskForward((m) => {
      if (++calls === 3)
        ctl.abort()
      return game(m)
    })
    await expect(new ShapleyValueSampling(fwd).attribute({ nFeatures: 5, nSamples: 10, perturbationsPerEval: 1 }, { signal: ctl.signal }))
      .rejects
      .toMatchObject({ name: 'AttributionError', code: 'cancelled' })
    expect(fwd.calls).toBe(3)
  })

  it('refuses what Captum refuses', async () => {
    await expect(new KernelShap(maskForward(game)).attribute({ nFeatures: 1 })).rejects.toMatchObject({ code: 'unsupported' })
    await expect(new ShapleyValues(maskForward(game)).attribute({ nFeatures: 21 })).rejects.toBeInstanceOf(AttributionError)
    await expect(new FeatureAblation(maskForward(game)).attribute({ nFeatures: 0 })).rejects.toMatchObject({ code: 'empty-input' })
    await expect(new ShapleyValueSampling(maskForward(game)).attribute({ nFeatures: 3, permutations: [[0, 0, 1]] })).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('method Lime similarity is exp(−(1 − cos)²/2) with cos(ones, mask) and 0 for the empty mask', () => {
    expect(binaryCosineSimilarity(Uint8Array.of(1, 0, 0, 0))).toBeCloseTo(0.5, 15)
    expect(limeSimilarity(binaryCosineSimilarity(new Uint8Array(4)))).toBeCloseTo(Math.exp(-0.5), 15)
    expect(limeSimilarity(1)).toBe(1)
  })
})
