/**
 * Prefix KV reuse (`engine/models/causal-lm-prefix.ts`) gives the default scorer's numbers
 * within float32 noise, and the sampling methods never evaluate a coalition twice (the
 * engine's own counters).
 */
import type { AttributionRequest, LlmResponse, MethodName } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getCausalLm, runLlmRequest } from '../../../engine/llm/run-llm'
import { withPrefixReuse } from '../../../engine/models/causal-lm-prefix'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { llmRequest, makeTinyFixture, PROMPT, TARGET } from './helpers'

let fx: Awaited<ReturnType<typeof makeTinyFixture>>
let lm: CausalLm
let prefix: Awaited<ReturnType<typeof withPrefixReuse>>

beforeAll(async () => {
  fx = await makeTinyFixture()
  lm = await getCausalLm(fx.dir)
  prefix = await withPrefixReuse(lm, fx.dir)
}, 60_000)
afterAll(async () => {
  await prefix?.release()
  fx?.cleanup()
})

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('prefix KV reuse', () => {
  it('scoreTargets equals the default scorer within float32 noise, on rows with shared, partial and no shared prefixes', async () => {
    const ids = lm.encode(PROMPT) // 16 tokens
    const targetIds = lm.encode(TARGET)
    const rows = [
      { promptIds: ids, targetIds },
      ...ids.map((_, i) => ({ promptIds: ids.map((t, j) => (j === i ? 0 : t)), targetIds })), // FeatureAblation rows
      { promptIds: ids.slice(0, 9), targetIds }, // shorter prompt: the prefix stops before its first scored position
      { promptIds: ids.map(() => 0), targetIds }, // nothing shared
      { promptIds: [ids[0]], targetIds: targetIds.slice(0, 2) }, // one-token prompt
    ]
    const want = await lm.scoreTargets(rows)
    const got = await prefix.scoreTargets(rows)
    expect(got).toHaveLength(rows.length)
    for (let r = 0; r < rows.length; r++) {
      expect(got[r]).toHaveLength(rows[r].targetIds.length)
      // log-probs of magnitude ~10: ORT's float32 log_softmax vs our float64-accumulated one ≈ 1e-6.
      expect(maxAbsDiff(got[r], want[r])).toBeLessThan(2e-5)
    }
    // It really reused prefixes: fewer tokens through the model than rows × length.
    const plainTokens = rows.reduce((s, r) => s + r.promptIds.length + r.targetIds.length - 1, 0)
    expect(prefix.stats.tokens).toBeLessThan(0.85 * plainTokens)
    // Without the in-graph scoring (full logits, log_softmax in JS), the same numbers to float32 rounding.
    const jsScored = await withPrefixReuse(lm, fx.dir, { scoreInGraph: false })
    const got2 = await jsScored.scoreTargets(rows)
    await jsScored.release()
    for (let r = 0; r < rows.length; r++)
      expect(maxAbsDiff(got2[r], want[r])).toBeLessThan(2e-5)
  }, 30_000)

  it.each([
    ['FeatureAblation', {}],
    ['ShapleyValueSampling', { nSamples: 3, seed: 1 }],
    ['KernelShap', { nSamples: 40, seed: 2 }],
    ['ShapleyValues', { perturbationsPerEval: 4096 }], // all coalitions in one call: one sorted prefix trie
  ] as Array<[MethodName, Record<string, unknown>]>)('%s through runLlmRequest: same attributions as the default scorer', async (method, options) => {
    const request = llmRequest(fx.dir, { method, options, target: ' playing golf' })
    if (method === 'ShapleyValues') // exact Shapley on 8 tokens (256 coalitions): the default scorer stays fast
      request.input = { type: 'text', text: 'Dave lives in Palm Coast, FL and' }
    const a = await runLlmRequest(request, lm)
    const b = await runLlmRequest(request, prefix)
    // Attributions are differences of log-probs (|x| ≲ 1); KernelShap's least squares may amplify float32 noise a little.
    expect(maxAbsDiff(b.seqAttr, a.seqAttr)).toBeLessThan(1e-4)
    if (a.tokenAttr)
      a.tokenAttr.forEach((row, k) => expect(maxAbsDiff(b.tokenAttr![k], row)).toBeLessThan(1e-4))
    expect(b.stats.rows).toBeGreaterThanOrEqual(a.stats.rows) // + the prefix runs
  }, 30_000)
})

describe('no coalition is evaluated twice (engine counters)', () => {
  const env = nodeEnv()
  // 3 features → 2^3 = 8 distinct coalitions.
  const three = (method: MethodName, options: Record<string, unknown>): AttributionRequest => ({
    model: fx.dir,
    method,
    options,
    input: { type: 'template', template: '{} lives in {} and likes {}', values: ['Dave', 'Palm Coast', 'golf'] },
    target: ' playing golf',
  })

  it('shapleyValueSampling(200) on 3 features: at most 8 distinct evaluations', async () => {
    const res = await runRequest(three('ShapleyValueSampling', { nSamples: 200, seed: 0 }), env) as LlmResponse
    expect(res.stats.rows).toBeLessThanOrEqual(8)
    expect(res.stats.rows).toBeGreaterThanOrEqual(4) // a permutation walk visits ≥ 4 of them
    // Exact Shapley evaluates each of the 8 coalitions once. Both satisfy efficiency exactly
    // (every sampled permutation telescopes): Σ_j φ_j = f(all present) − f(all absent).
    const exact = await runRequest(three('ShapleyValues', {}), env) as LlmResponse
    expect(exact.stats.rows).toBe(8)
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    expect(Math.abs(sum(res.seqAttr) - sum(exact.seqAttr))).toBeLessThan(1e-5)
    expect(sum(exact.seqAttr)).not.toBe(0)
  }, 30_000)

  it('kernelShap(200) on 3 features: at most 8 distinct evaluations', async () => {
    const res = await runRequest(three('KernelShap', { nSamples: 200, seed: 0 }), env) as LlmResponse
    expect(res.stats.rows).toBeLessThanOrEqual(8)
  }, 30_000)

  it('shapleyValueSampling(5) on 16 tokens: 1 + 5·16 = 81 planned evaluations, fewer after de-duplication', async () => {
    const res = await runRequest(llmRequest(fx.dir, { method: 'ShapleyValueSampling', options: { nSamples: 5, seed: 0 }, target: ' playing golf' }), env) as LlmResponse
    // Captum evaluates all-absent once, then 16 rows per permutation; each permutation's
    // last row is all-present, so at least 4 of the 81 are repeats.
    expect(res.stats.rows).toBeLessThanOrEqual(81 - 4)
  }, 30_000)
})
