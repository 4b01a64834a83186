import { describe, expect, it } from 'vitest'
import { MaskEvaluator, maskKey } from '../../../engine/core/batching'
import { AttributionError } from '../../../engine/core/errors'
import { lasso, weightedLinearRegression } from '../../../engine/core/linear-models'
import { approximationParameters, leggauss, torchLinspaceF32 } from '../../../engine/core/quadrature'
import { Rng } from '../../../engine/core/rng'
import { maskForward } from './helpers'

describe('the seeded Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(7)
    const b = new Rng(7)
    const c = new Rng(8)
    const sa = [a.uniform(), a.normal(), a.randint(10), ...a.permutation(6)]
    const sb = [b.uniform(), b.normal(), b.randint(10), ...b.permutation(6)]
    expect(sa).toEqual(sb)
    expect(c.uniform()).not.toBe(sa[0])
  })

  it('draws sensible distributions', () => {
    const r = new Rng(1)
    const n = 20000
    let su = 0
    let sn = 0
    let sn2 = 0
    let ones = 0
    const cat = [0, 0, 0]
    for (let i = 0; i < n; i++) {
      const u = r.uniform()
      expect(u >= 0 && u < 1).toBe(true)
      su += u
      const z = r.normal()
      sn += z
      sn2 += z * z
      ones += r.bernoulli(0.5)
      cat[r.categorical([1, 2, 7])]!++
    }
    expect(su / n).toBeCloseTo(0.5, 1)
    expect(Math.abs(sn / n)).toBeLessThan(0.03)
    expect(sn2 / n).toBeCloseTo(1, 1)
    expect(ones / n).toBeCloseTo(0.5, 1)
    expect(cat[2]! / n).toBeCloseTo(0.7, 1)
    expect(() => r.categorical([0, 0])).toThrow(AttributionError)
    expect([...r.permutation(9)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8])
  })
})

describe('quadrature', () => {
  it('leggauss matches numpy for n = 1, 2, 3, 5 and Σw = 2', () => {
    expect(leggauss(1)).toEqual({ nodes: [0], weights: [2] })
    const g2 = leggauss(2)
    expect(g2.nodes[0]).toBeCloseTo(-0.5773502691896257, 15)
    expect(g2.weights[1]).toBeCloseTo(1, 15)
    const g3 = leggauss(3)
    expect(g3.nodes).toEqual([expect.closeTo(-0.7745966692414834, 15), 0, expect.closeTo(0.7745966692414834, 15)])
    expect(g3.weights[0]).toBeCloseTo(0.5555555555555556, 15)
    expect(g3.weights[1]).toBeCloseTo(0.8888888888888888, 15)
    const g5 = leggauss(5)
    const x5 = [-0.906179845938664, -0.5384693101056831, 0, 0.5384693101056831, 0.906179845938664]
    const w5 = [0.23692688505618908, 0.47862867049936647, 0.5688888888888889, 0.47862867049936647, 0.23692688505618908]
    g5.nodes.forEach((x, i) => expect(x).toBeCloseTo(x5[i]!, 14))
    g5.weights.forEach((w, i) => expect(w).toBeCloseTo(w5[i]!, 14))
    for (const n of [4, 25, 50, 101]) {
      const g = leggauss(n)
      expect(g.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 13)
      for (let i = 1; i < n; i++) expect(g.nodes[i]!).toBeGreaterThan(g.nodes[i - 1]!)
    }
  })

  it('the Gauss–Legendre integrates polynomials up to degree 2n−1 exactly on [0, 1]', () => {
    const { alphas, weights } = approximationParameters('gausslegendre', 4)
    // ∫0^1 a^7 da = 1/8
    expect(alphas.reduce((s, a, i) => s + weights[i]! * a ** 7, 0)).toBeCloseTo(1 / 8, 14)
  })

  it('riemann_trapezoid uses Captum\'s weights: 1/n with halved ends (Σw = (n−1)/n)', () => {
    const { alphas, weights } = approximationParameters('riemann_trapezoid', 50)
    expect(alphas[0]).toBe(0)
    expect(alphas[49]).toBe(1)
    expect(weights[0]).toBe(0.01)
    expect(weights[1]).toBe(0.02)
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(0.98, 14)
    // float32 linspace values, as torch.linspace(0, 1, 50).tolist()
    expect(alphas[1]).toBe(Math.fround(Math.fround(1 / 49)))
    expect(alphas.every(a => a === Math.fround(a))).toBe(true)
  })

  it('riemann left/right/middle alphas', () => {
    expect(approximationParameters('riemann_left', 4).alphas).toEqual([0, 0.25, 0.5, 0.75])
    expect(approximationParameters('riemann_right', 4).alphas).toEqual([0.25, 0.5, 0.75, 1])
    expect(approximationParameters('riemann_middle', 4).alphas).toEqual([0.125, 0.375, 0.625, 0.875])
    expect(torchLinspaceF32(0, 1, 3)).toEqual([0, 0.5, 1])
    expect(() => approximationParameters('simpson', 4)).toThrow(AttributionError)
  })
})

describe('linear models', () => {
  it('weighted linear regression recovers an exact linear relation, even with 1e6 weights', () => {
    const X = [[0, 0], [1, 0], [0, 1], [1, 1], [1, 0]]
    const y = X.map(r => 1 + 2 * r[0]! - r[1]!)
    const fit = weightedLinearRegression(X, y, [1e6, 1, 1, 1e6, 1])
    expect(fit.coef[0]).toBeCloseTo(2, 9)
    expect(fit.coef[1]).toBeCloseTo(-1, 9)
    expect(fit.intercept).toBeCloseTo(1, 9)
  })

  it('weighted least squares equals the closed form on a noisy 1-D problem', () => {
    const x = [0, 1, 2, 3]
    const y = [1, 2, 2, 5]
    const w = [1, 2, 1, 3]
    const W = w.reduce((a, b) => a + b)
    const mx = x.reduce((s, v, i) => s + w[i]! * v, 0) / W
    const my = y.reduce((s, v, i) => s + w[i]! * v, 0) / W
    const slope = x.reduce((s, v, i) => s + w[i]! * (v - mx) * (y[i]! - my), 0) / x.reduce((s, v, i) => s + w[i]! * (v - mx) ** 2, 0)
    const fit = weightedLinearRegression(x.map(v => [v]), y, w)
    expect(fit.coef[0]).toBeCloseTo(slope, 12)
    expect(fit.intercept).toBeCloseTo(my - slope * mx, 12)
  })

  it('lasso: soft-thresholding on one feature and zeros for a large alpha', () => {
    // One centered feature with unit weights: coef = S(xᵀy/n, α)/(xᵀx/n)
    const X = [[0], [1], [0], [1]]
    const y = [0, 1, 0, 1]
    // xc = ±0.5, xᵀy_c = 1, ‖xc‖² = 1 → coef = (1 − 4α)/1
    expect(lasso(X, y, [1, 1, 1, 1], { alpha: 0.01 }).coef[0]).toBeCloseTo(0.96, 12)
    const big = lasso(X, y, [1, 1, 1, 1], { alpha: 10 })
    expect(big.coef[0]).toBe(0)
    expect(big.intercept).toBeCloseTo(0.5, 12)
    // Weights are rescaled to sum to n: scaling all weights changes nothing.
    const a = lasso([[0, 1], [1, 0], [1, 1], [0, 0], [1, 1]], [1, 2, 3.5, 0.2, 2.9], [1, 2, 3, 4, 5], { alpha: 0.05 })
    const b = lasso([[0, 1], [1, 0], [1, 1], [0, 0], [1, 1]], [1, 2, 3.5, 0.2, 2.9], [10, 20, 30, 40, 50], { alpha: 0.05 })
    expect(a.coef[0]).toBeCloseTo(b.coef[0]!, 12)
    expect(a.coef[1]).toBeCloseTo(b.coef[1]!, 12)
  })
})

describe('the MaskEvaluator', () => {
  const f = (m: Uint8Array) => [m[0]! + 2 * m[1]! + 4 * m[2]!]

  it('dedups masks, batches by perturbationsPerEval, and reports progress to the total', async () => {
    const fwd = maskForward(f)
    const seen: Array<[number, number]> = []
    const ev = new MaskEvaluator(fwd, { nFeatures: 3, perturbationsPerEval: 2, control: { onProgress: p => seen.push([p.done, p.total]) } })
    const masks = [[1, 1, 1], [0, 0, 0], [1, 1, 1], [1, 0, 0], [0, 1, 0]].map(a => Uint8Array.from(a))
    const out = await ev.evaluate(masks)
    expect(out.map(r => r[0])).toEqual([7, 0, 7, 1, 2])
    expect(ev.rows).toBe(4)
    expect(fwd.rows).toBe(4)
    expect(ev.forwardCalls).toBe(2)
    expect(seen).toEqual([[2, 4], [4, 4]])
    expect(maskKey(masks[3]!)).toBe('100')
  })

  it('rejects with code "cancelled" when aborted between batches', async () => {
    const ctl = new AbortController()
    const fwd = maskForward((m) => {
      ctl.abort()
      return f(m)
    })
    const ev = new MaskEvaluator(fwd, { nFeatures: 3, perturbationsPerEval: 1, control: { signal: ctl.signal } })
    await expect(ev.evaluate([Uint8Array.of(1, 1, 1), Uint8Array.of(0, 0, 0)])).rejects.toMatchObject({ code: 'cancelled' })
    expect(fwd.calls).toBe(1)
  })

  it('turns NaN outputs and bad options into AttributionErrors', async () => {
    const ev = new MaskEvaluator(maskForward(() => [Number.NaN]), { nFeatures: 1 })
    await expect(ev.evaluate([Uint8Array.of(1)])).rejects.toMatchObject({ code: 'backend' })
    expect(() => new MaskEvaluator(maskForward(f), { nFeatures: 3, perturbationsPerEval: 0 })).toThrow(AttributionError)
    expect(() => new MaskEvaluator(maskForward(f), { nFeatures: 0 })).toThrow(AttributionError)
  })
})
