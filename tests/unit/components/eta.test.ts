import { describe, expect, it } from 'vitest'
import { estimateEtaMs } from '../../../components/lib/eta'

describe('estimateEtaMs', () => {
  it('extrapolates the rate so far', () => {
    expect(estimateEtaMs(25, 100, 2000)).toBe(6000)
    expect(estimateEtaMs(1, 3, 500)).toBe(1000)
    expect(estimateEtaMs(100, 100, 2000)).toBe(0)
    expect(estimateEtaMs(120, 100, 2000)).toBe(0)
  })

  it('is null until it can be known', () => {
    expect(estimateEtaMs(0, 100, 2000)).toBeNull()
    expect(estimateEtaMs(10, 100, 0)).toBeNull()
    expect(estimateEtaMs(10, null, 2000)).toBeNull()
    expect(estimateEtaMs(10, 0, 2000)).toBeNull()
    expect(estimateEtaMs(10, Number.NaN, 2000)).toBeNull()
  })
})
