/**
 * The in-graph scorer (`engine/models/onnx-scorer.ts`, Node's default through `nodeEnv()`)
 * gives transformers.js's numbers within float32 noise, and the sampling methods never
 * evaluate a coalition twice (the engine's own counters).
 */
import type { AttributionRequest, LlmResponse, MethodName } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import onnxProto from 'onnx-proto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { scoreInOnnxGraph, scoringGraph } from '../../../engine/models/onnx-scorer'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { copyModel, llmRequest, makeTinyFixture, PROMPT, TARGET } from './helpers'

let fx: Awaited<ReturnType<typeof makeTinyFixture>>
let lm: CausalLm
let inGraph: CausalLm

beforeAll(async () => {
  fx = await makeTinyFixture()
  // Our own plain load (not getCausalLm's shared cache): disposing it cannot disturb other tests.
  lm = await loadCausalLm(fx.dir)
  inGraph = await scoreInOnnxGraph(lm, { maxBatchTokens: 64 })
}, 60_000)
afterAll(async () => {
  await inGraph?.dispose() // releases its session, then the wrapped model
  fx?.cleanup()
})

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('scoring inside the ONNX graph', () => {
  it('it is a different scorer, and runs the rewritten graph (target_logprobs only)', () => {
    expect(inGraph).not.toBe(lm)
    expect(inGraph.scoreTargets).not.toBe(lm.scoreTargets)
  })

  it('scoreTargets equals transformers.js + log_softmax in JS within float32 noise, over several batches of mixed lengths', async () => {
    const ids = lm.encode(PROMPT) // 16 tokens
    const targetIds = lm.encode(TARGET) // 8 tokens
    const rows = [
      { promptIds: ids, targetIds },
      ...ids.map((_, i) => ({ promptIds: ids.map((t, j) => (j === i ? 0 : t)), targetIds })), // FeatureAblation rows
      { promptIds: ids.slice(0, 9), targetIds }, // shorter prompt: right padding in a mixed batch
      { promptIds: [ids[0]], targetIds: targetIds.slice(0, 2) }, // one-token prompt, shorter target (K padding)
      { promptIds: ids, targetIds: targetIds.slice(0, 1) },
    ]
    const want = await lm.scoreTargets(rows)
    const callsBefore = inGraph.stats.forwardCalls
    const got = await inGraph.scoreTargets(rows)
    // maxBatchTokens 64 with 23-token rows: two rows per forward.
    expect(inGraph.stats.forwardCalls - callsBefore).toBeGreaterThan(5)
    expect(got).toHaveLength(rows.length)
    for (let r = 0; r < rows.length; r++) {
      expect(got[r]).toHaveLength(rows[r].targetIds.length)
      // log-probs of magnitude ~10: ORT's float32 log_softmax vs our float64-accumulated one ≈ 1e-6.
      expect(maxAbsDiff(got[r], want[r])).toBeLessThan(2e-5)
      expect(got[r].every(v => Number.isFinite(v) && v < 0)).toBe(true)
    }
  }, 30_000)

  it('bad rows get the same clear errors as the default scorer', async () => {
    const ids = lm.encode(PROMPT)
    await expect(inGraph.scoreTargets([{ promptIds: ids, targetIds: [] }])).rejects.toMatchObject({ code: 'empty-input' })
    await expect(inGraph.scoreTargets([{ promptIds: [], targetIds: ids }])).rejects.toMatchObject({ code: 'empty-input' })
    await expect(inGraph.scoreTargets([{ promptIds: Array.from({ length: 200 }, () => ids[0]), targetIds: ids }])).rejects.toMatchObject({ code: 'too-long' })
  })

  it.each([
    ['FeatureAblation', {}],
    ['ShapleyValueSampling', { nSamples: 3, seed: 1 }],
    ['KernelShap', { nSamples: 40, seed: 2 }],
    ['ShapleyValues', {}],
  ] as Array<[MethodName, Record<string, unknown>]>)('%s through runLlmRequest: same attributions and rows as the default scorer', async (method, options) => {
    const request = llmRequest(fx.dir, { method, options, target: ' playing golf' })
    if (method === 'ShapleyValues') // exact Shapley on 8 tokens (256 coalitions): the default scorer stays fast
      request.input = { type: 'text', text: 'Dave lives in Palm Coast, FL and' }
    const a = await runLlmRequest(request, lm)
    const b = await runLlmRequest(request, inGraph)
    // Attributions are differences of log-probs (|x| ≲ 1); KernelShap's least squares may amplify float32 noise a little.
    expect(maxAbsDiff(b.seqAttr, a.seqAttr)).toBeLessThan(1e-4)
    if (a.tokenAttr)
      a.tokenAttr.forEach((row, k) => expect(maxAbsDiff(b.tokenAttr![k], row)).toBeLessThan(1e-4))
    expect(b.stats.rows).toBe(a.stats.rows)
  }, 30_000)

  it('nodeEnv() uses it: the CLI path reports the in-graph scorer\'s forwards', async () => {
    const viaEnv = await runRequest(llmRequest(fx.dir, { target: ' playing golf' }), nodeEnv()) as LlmResponse
    const plain = await runRequest(llmRequest(fx.dir, { target: ' playing golf' }), nodeEnv({ adaptCausalLm: undefined })) as LlmResponse
    expect(maxAbsDiff(viaEnv.seqAttr, plain.seqAttr)).toBeLessThan(2e-5)
    // 17 FeatureAblation rows: one forward in-graph (4096-token batches), several with transformers.js (256).
    expect(viaEnv.stats.forwardCalls).toBe(1)
    expect(plain.stats.forwardCalls).toBeGreaterThan(1)
  }, 30_000)
})

/**
 * optimum's merged decoder, the layout of Xenova/distilgpt2's `decoder_model_merged.onnx`:
 * the main graph holds the weights and one `If(use_cache_branch)` whose branches are the
 * decoders with and without past. Built here from our fixture's legacy-contract graph
 * (both branches the same decoder, as optimum's merge does with two exports of it).
 */
function optimumMergedLayout(bytes: Uint8Array): Uint8Array {
  const { onnx } = onnxProto
  const model = onnx.ModelProto.decode(bytes)
  const g = model.graph!
  // Inside the no-past branch, outputs carry their own names (renamed back on inlining).
  const noPast = onnx.GraphProto.decode(onnx.GraphProto.encode(onnx.GraphProto.create({ name: 'no_past', node: g.node, output: g.output })).finish())
  const suffix = (n: string) => (g.output!.some(o => o.name === n) ? `${n}_no_past` : n)
  for (const n of noPast.node!) {
    n.output = n.output!.map(suffix)
    n.input = n.input!.map(suffix)
  }
  for (const o of noPast.output!)
    o.name = suffix(o.name!)
  const withPast = onnx.GraphProto.create({ name: 'with_past', node: g.node, output: g.output })
  const graphAttr = (name: string, graph: typeof noPast) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.GRAPH, g: graph })
  g.node = [onnx.NodeProto.create({ opType: 'If', name: 'optimum::if', input: ['use_cache_branch'], output: g.output!.map(o => o.name!), attribute: [graphAttr('then_branch', withPast), graphAttr('else_branch', noPast)] })]
  return onnx.ModelProto.encode(model).finish()
}

describe('optimum\'s merged decoder (If on use_cache_branch), the layout of Xenova/distilgpt2', () => {
  let merged: CausalLm
  let mergedInGraph: CausalLm
  beforeAll(async () => {
    const dir = copyModel(fx.dir, fx.root, 'tiny-merged')
    writeFileSync(join(dir, 'onnx/decoder_model_merged.onnx'), optimumMergedLayout(readFileSync(join(dir, 'onnx/decoder_model_merged.onnx'))))
    rmSync(join(dir, 'onnx/model.onnx')) // so that the loader takes the merged file, as for Xenova's repo
    merged = await loadCausalLm(dir)
    mergedInGraph = await scoreInOnnxGraph(merged)
  }, 60_000)
  afterAll(async () => {
    await mergedInGraph?.dispose()
  })

  it('the no-past branch is inlined and rewritten (not the fallback scorer)', async () => {
    expect(merged.modelFile).toBe('decoder_model_merged')
    expect(mergedInGraph).not.toBe(merged)
    const rewritten = await scoringGraph(optimumMergedLayout(readFileSync(join(fx.dir, 'onnx/decoder_model_merged.onnx'))))
    expect(rewritten).not.toBeNull()
    const graph = onnxProto.onnx.ModelProto.decode(rewritten!).graph!
    expect(graph.node!.some(n => n.opType === 'If')).toBe(false)
    expect(graph.output!.map(o => o.name)).toEqual(['target_logprobs'])
  })

  it('scores equal transformers.js running the If graph, and the plain model.onnx', async () => {
    const ids = lm.encode(PROMPT)
    const targetIds = lm.encode(TARGET)
    const rows = [{ promptIds: ids, targetIds }, { promptIds: ids.slice(0, 5), targetIds: targetIds.slice(0, 3) }]
    const viaIf = await merged.scoreTargets(rows)
    const got = await mergedInGraph.scoreTargets(rows)
    const plain = await inGraph.scoreTargets(rows)
    for (let r = 0; r < rows.length; r++) {
      expect(maxAbsDiff(got[r], viaIf[r])).toBeLessThan(2e-5)
      expect(maxAbsDiff(got[r], plain[r])).toBeLessThan(2e-5)
    }
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
