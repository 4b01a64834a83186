import type { MaskForward, ScalarForward } from '../../../engine/core/types'
import type { PerturbFunc } from '../../../engine/metrics'
import { describe, expect, it } from 'vitest'
import { deletionCurve, gaussianPerturbation, infidelity, insertionCurve, rankFeatures, sensitivityMax } from '../../../engine/metrics'

const w = Float64Array.of(0.5, -2, 1.5, 0.25)
const x = Float64Array.of(1, 0.5, -2, 4)
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}
const f: ScalarForward = async xs => xs.map(v => dot(w, v) + 0.1)
const Is = [Float64Array.of(0.01, -0.02, 0.005, 0), Float64Array.of(-0.01, 0.01, 0.02, 0.01), Float64Array.of(0.003, 0, -0.004, 0.02)]
const recorded = (sign: 1 | -1): PerturbFunc => (xx, _rng, i) => ({ I: Is[i]!, xPerturbed: xx.map((v, e) => v + sign * Is[i]![e]!) })

describe('infidelity (Captum definition)', () => {
  it('is 0 for the gradient of a linear model with consistent perturbations x − I', async () => {
    expect(await infidelity(f, x, w, recorded(-1), { nPerturbSamples: 3 })).toBeLessThan(1e-30)
    expect(await infidelity(f, x, w, gaussianPerturbation(0.01), { seed: 4 })).toBeLessThan(1e-28)
  })

  it('with the notebook\'s x + I perturbation it is mean (2 w·I)²', async () => {
    const expected = Is.reduce((s, I) => s + (2 * dot(w, I)) ** 2, 0) / 3
    expect(await infidelity(f, x, w, recorded(1), { nPerturbSamples: 3 })).toBeCloseTo(expected, 15)
    expect(expected).toBeGreaterThan(1e-5)
  })

  it('iG attribution x ⊙ w: mean (Σ I x w − w·I)²; normalize rescales a scaled explanation to 0', async () => {
    const A = x.map((v, e) => v * w[e]!)
    const expected = Is.reduce((s, I) => s + (dot(I, A) - dot(w, I)) ** 2, 0) / 3
    expect(await infidelity(f, x, A, recorded(-1), { nPerturbSamples: 3 })).toBeCloseTo(expected, 15)
    const scaled = w.map(v => 3 * v)
    expect(await infidelity(f, x, scaled, recorded(-1), { nPerturbSamples: 3 })).toBeGreaterThan(1e-5)
    expect(await infidelity(f, x, scaled, recorded(-1), { nPerturbSamples: 3, normalize: true })).toBeLessThan(1e-25)
  })
})

describe('sensitivityMax', () => {
  const explain = async (v: Float64Array) => v.map((t, e) => t * w[e]!) // IG of a linear model, zero baseline

  it('max ‖A(x) − A(x_i)‖ / ‖A(x)‖ on given perturbed inputs', async () => {
    const pert = Is.map(I => x.map((v, e) => v + I[e]!))
    const n0 = Math.sqrt(dot(x.map((v, e) => v * w[e]!), x.map((v, e) => v * w[e]!)))
    const expected = Math.max(...Is.map(I => Math.sqrt(I.reduce((s, t, e) => s + (t * w[e]!) ** 2, 0)) / n0))
    expect(await sensitivityMax(explain, x, { perturbedInputs: pert })).toBeCloseTo(expected, 15)
  })

  it('defaults: 10 uniform perturbations within ±0.02, seeded; zero norm → 1', async () => {
    const seen: Float64Array[] = []
    const spy = async (v: Float64Array) => {
      seen.push(v)
      return explain(v)
    }
    const a = await sensitivityMax(spy, x, { seed: 3 })
    expect(seen).toHaveLength(11)
    for (const v of seen.slice(1)) {
      for (let e = 0; e < 4; e++) expect(Math.abs(v[e]! - x[e]!)).toBeLessThanOrEqual(0.02)
    }
    expect(await sensitivityMax(explain, x, { seed: 3 })).toBe(a)
    const bound = Math.sqrt(dot(w.map(t => (0.02 * t) ** 2), [1, 1, 1, 1])) / Math.sqrt(dot(x.map((v, e) => (v * w[e]!) ** 2), [1, 1, 1, 1]))
    expect(a).toBeGreaterThan(0)
    expect(a).toBeLessThanOrEqual(bound)
    // Zero explanation at x: the norm is replaced by 1, so the value is max ‖A(x_i)‖.
    const pert = [Float64Array.of(0.01, 0, 0, 0)]
    expect(await sensitivityMax(async v => v.map(t => t), new Float64Array(4), { perturbedInputs: pert })).toBeCloseTo(0.01, 15)
  })
})

describe('deletion / insertion curves', () => {
  const a = [3, -1, 2]
  const fwd: MaskForward = async masks => masks.map(m => [dot(a, m), 2 * m[0]!])

  it('follow the attribution order with exact AOPC and AUC', async () => {
    expect(rankFeatures(a)).toEqual([0, 2, 1])
    const del = await deletionCurve(fwd, a, { nRandom: 0 })
    expect(del.curve).toEqual([4, 1, -1, 0])
    expect(del.aopc).toBe(3)
    expect(del.auc).toBeCloseTo(2 / 3, 15)
    expect(del.randomAopc).toBeNull()
    const ins = await insertionCurve(fwd, a, { nRandom: 0, outputIndex: 1 })
    expect(ins.curve).toEqual([0, 2, 2, 2])
    expect(ins.aopc).toBe(1.5)
  })

  it('the true order beats a seeded random order; results repeat per seed; batching-invariant', async () => {
    const big = Array.from({ length: 12 }, (_, j) => Math.sin(j * 1.7) * (j + 1))
    const f12: MaskForward = async masks => masks.map(m => [dot(big, m)])
    const d1 = await deletionCurve(f12, big, { nRandom: 8, seed: 5, perturbationsPerEval: 1 })
    const d2 = await deletionCurve(f12, big, { nRandom: 8, seed: 5, perturbationsPerEval: 1000 })
    expect(d2.randomCurve).toEqual(d1.randomCurve)
    expect(d1.aopc).toBeGreaterThan(d1.randomAopc!)
    // The deletion AOPC of the exact ranking is the maximum possible for an additive model.
    const i1 = await insertionCurve(f12, big, { nRandom: 8, seed: 5 })
    expect(i1.aopc).toBeGreaterThan(i1.randomAopc!)
    expect(d1.randomCurve[0]).toBeCloseTo(d1.curve[0]!, 12)
    expect(d1.randomCurve[12]).toBeCloseTo(0, 12)
    expect(d1.evaluations).toBeLessThanOrEqual(9 * 13)
    await expect(deletionCurve(f12, [], {})).rejects.toMatchObject({ code: 'empty-input' })
  })
})
