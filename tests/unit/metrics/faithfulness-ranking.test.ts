import type { MaskForward } from '../../../engine/core/types'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../../engine/core/rng'
import { FeatureAblation, KernelShap, ShapleyValues, ShapleyValueSampling } from '../../../engine/methods'
import { deletionCurve, insertionCurve } from '../../../engine/metrics'

/**
 * "Which explanation should I trust?" on a toy model whose true feature importance is
 * known by construction: an additive model over 8 features with distinct positive
 * weights, plus a small pairwise interaction so the methods are not all trivially equal.
 * The exact methods must rank best on deletion AOPC, and a random attribution worst.
 */
const weights = [3.0, 0.2, 1.6, 0.05, 2.4, 0.9, 0.4, 1.2]
const M = weights.length
const model: MaskForward = async masks => masks.map((m) => {
  let s = 0
  for (let j = 0; j < M; j++) s += weights[j]! * m[j]!
  return [s + 0.3 * m[0]! * m[4]!]
})

async function aopc(attr: number[], seed = 0) {
  return (await deletionCurve(model, attr, { nRandom: 5, seed })).aopc
}

describe('faithfulness on a model with known importance', () => {
  it('exact methods rank best on deletion AOPC; a random attribution ranks worst', async () => {
    const fa = (await new FeatureAblation(model).attribute({ nFeatures: M })).attributions[0]!
    const sv = (await new ShapleyValues(model).attribute({ nFeatures: M })).attributions[0]!
    const svs = (await new ShapleyValueSampling(model).attribute({ nFeatures: M, nSamples: 2, seed: 3 })).attributions[0]!
    const ks = (await new KernelShap(model).attribute({ nFeatures: M, nSamples: 12, seed: 3 })).attributions[0]!
    const rng = new Rng(11)
    const random = Array.from({ length: M }, () => rng.uniform())

    const scores = {
      truth: await aopc(weights),
      FeatureAblation: await aopc(fa),
      ShapleyValues: await aopc(sv),
      ShapleyValueSampling: await aopc(svs),
      KernelShap: await aopc(ks),
      random: await aopc(random),
    }
    // The exact methods recover the true order, hence the optimal deletion AOPC.
    expect(scores.ShapleyValues).toBeCloseTo(scores.truth, 12)
    expect(scores.FeatureAblation).toBeCloseTo(scores.truth, 12)
    const ranked = Object.entries(scores).sort((a, b) => b[1] - a[1]).map(([k]) => k)
    expect(ranked.at(-1)).toBe('random')
    for (const name of ['ShapleyValueSampling', 'KernelShap', 'random'])
      expect(scores.ShapleyValues).toBeGreaterThanOrEqual(scores[name as keyof typeof scores] - 1e-12)
    // And the curve of the random order, averaged, lies above the exact one (less drop).
    const del = await deletionCurve(model, sv, { nRandom: 5, seed: 0 })
    expect(del.aopc).toBeGreaterThan(del.randomAopc!)
  })

  it('curves are monotone where they must be: deleting positive features only lowers f, inserting only raises it', async () => {
    const del = await deletionCurve(model, weights, { nRandom: 3, seed: 1 })
    const ins = await insertionCurve(model, weights, { nRandom: 3, seed: 1 })
    for (let k = 1; k < del.curve.length; k++) {
      expect(del.curve[k]!).toBeLessThanOrEqual(del.curve[k - 1]!)
      expect(ins.curve[k]!).toBeGreaterThanOrEqual(ins.curve[k - 1]!)
      expect(del.randomCurve[k]!).toBeLessThanOrEqual(del.randomCurve[k - 1]! + 1e-12)
    }
    expect(del.curve[0]).toBeCloseTo(weights.reduce((a, b) => a + b, 0) + 0.3, 12)
    expect(del.curve.at(-1)).toBe(0)
  })

  it('seeded results are reproducible, and another seed changes only the random baseline', async () => {
    const a = await deletionCurve(model, weights, { nRandom: 4, seed: 7 })
    const b = await deletionCurve(model, weights, { nRandom: 4, seed: 7 })
    const c = await deletionCurve(model, weights, { nRandom: 4, seed: 8 })
    expect(b).toEqual(a)
    expect(c.curve).toEqual(a.curve)
    expect(c.randomCurve).not.toEqual(a.randomCurve)
  })
})
