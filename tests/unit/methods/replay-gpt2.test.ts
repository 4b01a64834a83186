/**
 * Replays Captum 0.8's LLMAttribution runs on the tiny GPT-2
 * (`captum-reference/gpt2-tiny/reference.json`): `evals[]` records every forward
 * (mask → [Σ logp, logp_1…logp_T] or the scalar Σ logp), so a lookup table stands in
 * for the model, and the methods must reproduce seq_attr / token_attr and the fitted
 * surrogate coefficients. Also checks the Gauss–Legendre alphas/steps of the
 * LayerIntegratedGradients run.
 */
import { describe, expect, it } from 'vitest'
import { approximationParameters } from '../../../engine/core/quadrature'
import { FeatureAblation, KernelShap, Lime, ShapleyValueSampling } from '../../../engine/methods'
import { gpt2ReferencePath, haveGpt2Reference, lookupForward, maxAbsDiff, readJson } from './helpers'

const present = haveGpt2Reference()
if (!present)
  console.warn(`[replay-gpt2] skipped: ${gpt2ReferencePath} is absent (the read-only /work/shared reference folder).`)

const TOL = 5e-5 // README: GPT-2 perturbation methods

describe.skipIf(!present)('the Captum 0.8 GPT-2 (tiny) LLMAttribution replay', () => {
  const ref = present ? readJson(gpt2ReferencePath) : { results: [] }
  const results = ref.results as any[]
  const table = (res: any) => {
    const t = new Map<string, number[]>()
    for (const e of res.evals) t.set(e.mask[0].join(''), Array.isArray(e.out) ? e.out[0] : [e.out])
    return t
  }
  const M = 16

  it('method FeatureAblation: seq_attr and token_attr', async () => {
    const res = results.find(r => r.method === 'FeatureAblation')
    const r = await new FeatureAblation(lookupForward(table(res))).attribute({ nFeatures: M })
    expect(r.evaluations).toBe(res.n_attr_evals)
    expect(maxAbsDiff(r.attributions[0]!, res.seq_attr)).toBeLessThan(TOL)
    res.token_attr.forEach((row: number[], t: number) => expect(maxAbsDiff(r.attributions[1 + t]!, row)).toBeLessThan(TOL))
  })

  it('method ShapleyValueSampling on the recorded permutations', async () => {
    const res = results.find(r => r.method === 'ShapleyValueSampling')
    const r = await new ShapleyValueSampling(lookupForward(table(res))).attribute({ nFeatures: M, permutations: res.permutations, perturbationsPerEval: 7 })
    expect(maxAbsDiff(r.attributions[0]!, res.seq_attr)).toBeLessThan(TOL)
    res.token_attr.forEach((row: number[], t: number) => expect(maxAbsDiff(r.attributions[1 + t]!, row)).toBeLessThan(TOL))
    // Σ seq_attr = f(all) − f(none) for any draw
    const t = table(res)
    const sum = r.attributions[0]!.reduce((s, v) => s + v, 0)
    expect(sum).toBeCloseTo(t.get('1'.repeat(M))![0]! - t.get('0'.repeat(M))![0]!, 9)
    expect(r.evaluations).toBeLessThanOrEqual(res.n_attr_evals)
  })

  it('method KernelShap: sklearn LinearRegression coefficients and intercept', async () => {
    const res = results.find(r => r.method === 'KernelShap')
    const coalitions = res.evals.map((e: any) => e.mask[0])
    const r = await new KernelShap(lookupForward(table(res))).attribute({ nFeatures: M, coalitions })
    expect(r.weights).toEqual(res.similarity_weights)
    const d = maxAbsDiff(r.attributions[0]!, res.interpretable_model.coef)
    expect(d).toBeLessThan(1e-6)
    expect(maxAbsDiff(r.attributions[0]!, res.seq_attr)).toBeLessThan(TOL)
    expect(Math.abs(r.intercepts[0]! - res.interpretable_model.intercept[0])).toBeLessThan(TOL)
  })

  it('method Lime (α = 0.01 and α = 1e-5): default cos(ones, mask) similarity and Lasso coefficients', async () => {
    const limes = results.filter(r => r.method === 'Lime')
    expect(limes).toHaveLength(2)
    for (const res of limes) {
      const alpha = res.interpretable_model.construct_kwargs.alpha
      const coalitions = res.evals.map((e: any) => e.mask[0])
      const r = await new Lime(lookupForward(table(res))).attribute({ nFeatures: M, coalitions, alpha })
      // torch computed the cosine in float32: agree to ~1e-7.
      expect(maxAbsDiff(r.weights, res.similarity_weights)).toBeLessThan(1e-6)
      expect(maxAbsDiff(r.attributions[0]!, res.interpretable_model.coef), `alpha ${alpha}`).toBeLessThan(1e-6)
      expect(maxAbsDiff(r.attributions[0]!, res.seq_attr)).toBeLessThan(TOL)
      expect(Math.abs(r.intercepts[0]! - res.interpretable_model.intercept[0])).toBeLessThan(TOL)
      if (alpha === 0.01)
        expect(r.attributions[0]!.filter(v => v !== 0)).toHaveLength(1) // Captum: all zero but the last token
    }
  })

  it('method LayerIntegratedGradients used numpy leggauss(25) alphas and step sizes', () => {
    const res = results.find(r => r.method === 'LayerIntegratedGradients')
    const { alphas, weights } = approximationParameters('gausslegendre', 25)
    expect(maxAbsDiff(alphas, res.gauss_legendre.alphas)).toBeLessThan(1e-15)
    expect(maxAbsDiff(weights, res.gauss_legendre.step_sizes)).toBeLessThan(1e-15)
  })
})
