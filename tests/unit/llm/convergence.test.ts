import type { AttributionRequest, PerturbationMethodName } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
/**
 * Sampling methods converge toward exact Shapley values (ShapleyValues) as nSamples grows,
 * on a small prompt of our own fixture (no shared material needed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { makeTinyFixture, maxAbsDiff } from './helpers'

describe('sampling methods → exact Shapley on our tiny GPT-2', () => {
  let fx: { dir: string, cleanup: () => void }
  let lm: CausalLm
  let exact: { seqAttr: number[], tokenAttr: number[][] | null }
  const req = (method: PerturbationMethodName, options: AttributionRequest['options'] = {}): AttributionRequest => ({
    model: fx.dir,
    method,
    options,
    input: { type: 'text', text: 'Dave lives in Palm Coast' },
    target: ' and golf',
  })

  beforeAll(async () => {
    fx = await makeTinyFixture()
    // scoreMemo 0: every run counts the rows it makes the model run.
    lm = await loadCausalLm(fx.dir, { scoreMemo: 0 })
    exact = await runLlmRequest(req('ShapleyValues'), lm)
  })
  afterAll(() => fx?.cleanup())

  it('exact Shapley is efficient: Σ_j seq_attr_j = f(all) − f(all baselines)', async () => {
    const ids = lm.encode('Dave lives in Palm Coast')
    const target = lm.encode(' and golf')
    const [full, none] = await lm.scoreTargets([{ promptIds: ids, targetIds: target }, { promptIds: ids.map(() => 0), targetIds: target }])
    const f = (lp: Float32Array) => lp.reduce((s, v) => s + v, 0)
    expect(exact.seqAttr.reduce((s, v) => s + v, 0)).toBeCloseTo(f(full!) - f(none!), 4)
    expect(exact.tokenAttr!.length).toBe(2)
  })

  it('shapleyValueSampling: error shrinks with nSamples and is small at 400 permutations', async () => {
    const scale = Math.max(...exact.seqAttr.map(Math.abs))
    const small = await runLlmRequest(req('ShapleyValueSampling', { nSamples: 2, seed: 1 }), lm)
    const large = await runLlmRequest(req('ShapleyValueSampling', { nSamples: 400, seed: 1 }), lm)
    const eSmall = maxAbsDiff(small.seqAttr, exact.seqAttr)
    const eLarge = maxAbsDiff(large.seqAttr, exact.seqAttr)
    expect(eLarge).toBeLessThan(eSmall)
    expect(eLarge).toBeLessThan(0.1 * scale)
    // Every permutation telescopes: Σ attr equals the exact total for any draw.
    const total = (a: number[]) => a.reduce((s, v) => s + v, 0)
    expect(total(small.seqAttr)).toBeCloseTo(total(exact.seqAttr), 4)
  })

  it('kernelShap: error shrinks with nSamples and is small at 2000 coalitions', async () => {
    const scale = Math.max(...exact.seqAttr.map(Math.abs))
    const small = await runLlmRequest(req('KernelShap', { nSamples: 8, seed: 2 }), lm)
    const large = await runLlmRequest(req('KernelShap', { nSamples: 2000, seed: 2 }), lm)
    expect(small.tokenAttr).toBeNull()
    const eLarge = maxAbsDiff(large.seqAttr, exact.seqAttr)
    expect(eLarge).toBeLessThan(maxAbsDiff(small.seqAttr, exact.seqAttr))
    expect(eLarge).toBeLessThan(0.1 * scale)
  })

  it('featureAblation makes 1 + nFeatures rows of len(prompt) + T − 1 tokens, and stats say so', async () => {
    const res = await runLlmRequest(req('FeatureAblation'), lm)
    const nPrompt = lm.encode('Dave lives in Palm Coast').length
    const T = lm.encode(' and golf').length
    expect(res.inputTokens.length).toBe(nPrompt)
    expect(res.stats.rows).toBe(1 + nPrompt)
    expect(res.stats.tokens).toBe((1 + nPrompt) * (nPrompt + T - 1))
    expect(res.stats.forwardCalls).toBeGreaterThanOrEqual(1)
    expect(res.stats.backend).toBe('cpu')
  })

  it('numTrials averages the trials, trial t drawing with seed + t', async () => {
    const s5 = await runLlmRequest(req('ShapleyValueSampling', { nSamples: 2, seed: 5 }), lm)
    const s6 = await runLlmRequest(req('ShapleyValueSampling', { nSamples: 2, seed: 6 }), lm)
    const both = await runLlmRequest(req('ShapleyValueSampling', { nSamples: 2, seed: 5, numTrials: 2 }), lm)
    expect(maxAbsDiff(both.seqAttr, s5.seqAttr.map((v, j) => (v + s6.seqAttr[j]!) / 2))).toBeLessThan(1e-9)
    both.tokenAttr!.forEach((row, k) => expect(maxAbsDiff(row, row.map((_, j) => (s5.tokenAttr![k]![j]! + s6.tokenAttr![k]![j]!) / 2))).toBeLessThan(1e-9))
  })

  it('the same seed gives the same numbers', async () => {
    const a = await runLlmRequest(req('Lime', { nSamples: 40, seed: 9, alpha: 1e-5 }), lm)
    const b = await runLlmRequest(req('Lime', { nSamples: 40, seed: 9, alpha: 1e-5 }), lm)
    expect(a.seqAttr).toEqual(b.seqAttr)
    expect(a.tokenAttr).toBeNull()
  })
})
