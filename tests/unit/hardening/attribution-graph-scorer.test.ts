/**
 * The attribution-graph scorer (`engine/models/gpt2-session.ts`, the default wherever
 * `model.safetensors` exists) gives transformers.js's full-logits numbers within float32
 * noise on both ONNX layouts, a folder without the weights falls back to the full-logits
 * scorer, and the sampling methods never evaluate a coalition twice (the engine's counters).
 */
import type { AttributionRequest, LlmResponse, MethodName } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { copyModel, llmRequest, makeTinyFixture, PROMPT, TARGET } from './helpers'

let fx: Awaited<ReturnType<typeof makeTinyFixture>>
let full: CausalLm
let graph: CausalLm

beforeAll(async () => {
  fx = await makeTinyFixture()
  // Our own loads (not getCausalLm's shared cache): disposing them cannot disturb other tests.
  full = await loadCausalLm(fx.dir, { scorer: 'full-logits', scoreMemo: 0 })
  graph = await loadCausalLm(fx.dir, { device: 'cpu', scoreMemo: 0 })
}, 60_000)
afterAll(async () => {
  await full?.dispose()
  fx?.cleanup()
})

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('scoring in the attribution graph', () => {
  it('is the default scorer and carries the session the gradient methods share', () => {
    expect(graph.scorer).toBe('attribution-graph')
    expect(graph.session).toBeDefined()
    expect(full.scorer).toBe('full-logits')
    expect(full.session).toBeUndefined()
  })

  it('scoreTargets equals transformers.js + log_softmax in JS within float32 noise, over mixed lengths', async () => {
    const ids = full.encode(PROMPT) // 16 tokens
    const targetIds = full.encode(TARGET) // 8 tokens
    const rows = [
      { promptIds: ids, targetIds },
      ...ids.map((_, i) => ({ promptIds: ids.map((t, j) => (j === i ? 0 : t)), targetIds })), // FeatureAblation rows
      { promptIds: ids.slice(0, 9), targetIds }, // shorter prompt: right padding in a mixed batch
      { promptIds: [ids[0]], targetIds: targetIds.slice(0, 2) }, // one-token prompt, shorter target (K padding)
      { promptIds: ids, targetIds: targetIds.slice(0, 1) },
    ]
    const want = await full.scoreTargets(rows)
    const got = await graph.scoreTargets(rows)
    expect(got).toHaveLength(rows.length)
    for (let r = 0; r < rows.length; r++) {
      expect(got[r]).toHaveLength(rows[r].targetIds.length)
      // log-probs of magnitude ~10: ORT's float32 log_softmax vs our float64-accumulated one ≈ 1e-6.
      expect(maxAbsDiff(got[r], want[r])).toBeLessThan(2e-5)
      expect(got[r].every(v => Number.isFinite(v) && v < 0)).toBe(true)
    }
  }, 30_000)

  it('greedy generation (argmax in the graph) equals transformers.js generate', async () => {
    const ids = full.encode(PROMPT)
    expect(await graph.generate(ids, { maxNewTokens: 6 })).toEqual(await full.generate(ids, { maxNewTokens: 6 }))
  }, 30_000)

  it('bad rows get the same clear errors as the full-logits scorer', async () => {
    const ids = full.encode(PROMPT)
    for (const lm of [graph, full]) {
      await expect(lm.scoreTargets([{ promptIds: ids, targetIds: [] }])).rejects.toMatchObject({ code: 'empty-input' })
      await expect(lm.scoreTargets([{ promptIds: [], targetIds: ids }])).rejects.toMatchObject({ code: 'empty-input' })
      await expect(lm.scoreTargets([{ promptIds: Array.from({ length: 200 }, () => ids[0]), targetIds: ids }])).rejects.toMatchObject({ code: 'too-long' })
    }
  })

  it.each([
    ['FeatureAblation', {}],
    ['ShapleyValueSampling', { nSamples: 3, seed: 1 }],
    ['KernelShap', { nSamples: 40, seed: 2 }],
    ['ShapleyValues', {}],
  ] as Array<[MethodName, Record<string, unknown>]>)('%s through runLlmRequest: same attributions and rows as the full-logits scorer', async (method, options) => {
    const request = llmRequest(fx.dir, { method, options, target: ' playing golf' })
    if (method === 'ShapleyValues') // exact Shapley on 8 tokens (256 coalitions)
      request.input = { type: 'text', text: 'Dave lives in Palm Coast, FL and' }
    const a = await runLlmRequest(request, full)
    const b = await runLlmRequest(request, graph)
    // Attributions are differences of log-probs (|x| ≲ 1); KernelShap's least squares may amplify float32 noise a little.
    expect(maxAbsDiff(b.seqAttr, a.seqAttr)).toBeLessThan(1e-4)
    if (a.tokenAttr)
      a.tokenAttr.forEach((row, k) => expect(maxAbsDiff(b.tokenAttr![k], row)).toBeLessThan(1e-4))
    expect(b.stats.rows).toBe(a.stats.rows)
  }, 30_000)

  it('nodeEnv() uses it: 17 FeatureAblation rows in one forward', async () => {
    // scoreMemo 0: the rows are counted as the model runs them, not answered from memory.
    const viaEnv = await runRequest(llmRequest(fx.dir, { target: ' playing golf' }), nodeEnv({ scoreMemo: 0 })) as LlmResponse
    const plain = await runLlmRequest(llmRequest(fx.dir, { target: ' playing golf' }), full)
    expect(maxAbsDiff(viaEnv.seqAttr, plain.seqAttr)).toBeLessThan(2e-5)
    expect(viaEnv.stats.forwardCalls).toBe(1)
    expect(plain.stats.forwardCalls).toBeGreaterThan(1) // transformers.js: 256-token batches
  }, 30_000)
})

describe('the fallback: a folder without model.safetensors', () => {
  it('loads on transformers.js\'s full logits (merged decoder layout too), with the same numbers, and the gradient methods say why they cannot run', async () => {
    const dir = copyModel(fx.dir, fx.root, 'tiny-no-weights')
    rmSync(join(dir, 'model.safetensors'))
    rmSync(join(dir, 'onnx/model.onnx')) // the loader then takes decoder_model_merged.onnx, as for Xenova's repo
    const lm = await loadCausalLm(dir)
    try {
      expect(lm.scorer).toBe('full-logits')
      expect(lm.modelFile).toBe('decoder_model_merged')
      const ids = lm.encode(PROMPT)
      const targetIds = lm.encode(TARGET)
      const rows = [{ promptIds: ids, targetIds }, { promptIds: ids.slice(0, 5), targetIds: targetIds.slice(0, 3) }]
      const [a, b] = [await lm.scoreTargets(rows), await graph.scoreTargets(rows)]
      rows.forEach((_, r) => expect(maxAbsDiff(a[r], b[r])).toBeLessThan(2e-5))
      const { runLlmGradientRequest } = await import('../../../engine/llm/gradient-attribution')
      await expect(runLlmGradientRequest(llmRequest(dir, { method: 'LayerIntegratedGradients', target: ' playing golf' }), lm))
        .rejects
        .toMatchObject({ code: 'unsupported', message: expect.stringContaining('model.safetensors') })
    }
    finally {
      await lm.dispose()
    }
  }, 60_000)
})

describe('no coalition is evaluated twice (engine counters)', () => {
  // The mask-level de-duplication is counted; remembering rows (ScoreMemo) would hide it.
  const env = nodeEnv({ scoreMemo: 0 })
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
