/**
 * Repeated runs do not leak: tfjs tensors stay flat over 100 BoW runs and 20 GPT-2 tfjs
 * gradient runs, and 100 LLM runs reuse one cached model (one ORT session), with bounded
 * process memory.
 */
import type { AttributionRequest, LlmResponse } from '../../../engine/api'
import process from 'node:process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getCausalLm } from '../../../engine/llm/run-llm'
import { tf } from '../../../engine/models/tf-backend'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { allFinite, BOW_DIR, HAS_BOW, makeTinyFixture, SKIP_BOW_MSG } from './helpers'

// scoreMemo 0: the repeated runs really run (memory is measured under work, not recall).
const env = nodeEnv({ scoreMemo: 0 })

let fx: Awaited<ReturnType<typeof makeTinyFixture>>
beforeAll(async () => {
  fx = await makeTinyFixture()
}, 60_000)
afterAll(() => fx?.cleanup())

describe.skipIf(!HAS_BOW)(`BoW: tfjs tensors over 100 runs ${HAS_BOW ? '' : SKIP_BOW_MSG}`, () => {
  it('numTensors is the same after 100 runs as after the warm-up', async () => {
    const methods: Array<[AttributionRequest['method'], Record<string, unknown>]> = [
      ['Saliency', {}],
      ['IntegratedGradients', { nSteps: 10 }],
      ['FeatureAblation', {}],
      ['KernelShap', { nSamples: 20, seed: 0 }],
    ]
    const run = (i: number) => {
      const [method, options] = methods[i % methods.length]
      return runRequest({ model: BOW_DIR, method, options, input: { type: 'text', text: 'I hate it, hate it so much, but I love the soundtrack' } }, env)
    }
    const first = []
    for (let i = 0; i < methods.length; i++)
      first.push(await run(i)) // warm-up: weights uploaded, kernels built
    const before = tf.memory().numTensors
    let last
    for (let i = 0; i < 100; i++)
      last = await run(i)
    expect(tf.memory().numTensors).toBe(before)
    // …and the runs still compute: the last one equals the warm-up run of the same method.
    expect(last).toMatchObject({ scores: (first[99 % methods.length] as { scores: number[] }).scores })
  }, 60_000)
})

describe('gPT-2 gradient path: the perturbation methods\' session, bounded memory', () => {
  it('20 LayerIntegratedGradients runs use the one cached session of the FeatureAblation runs; rss grows by less than 100 MB', async () => {
    const request: AttributionRequest = {
      model: fx.dir,
      method: 'LayerIntegratedGradients',
      options: { nSteps: 3 },
      input: { type: 'text', text: 'Dave lives in Palm Coast' },
      target: ' golf',
    }
    await runRequest({ ...request, method: 'FeatureAblation', options: {} }, env)
    const lm = await getCausalLm(fx.dir)
    const first = await runRequest(request, env) as LlmResponse
    const rowsBefore = lm.session!.stats.rows
    const rss0 = process.memoryUsage().rss
    let last = first
    for (let i = 0; i < 20; i++)
      last = await runRequest(request, env) as LlmResponse
    // Every gradient row went through the perturbation methods' session (one copy of the weights).
    expect(lm.session!.stats.rows - rowsBefore).toBe(20 * first.stats.rows)
    expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * 2 ** 20)
    expect(allFinite(last.seqAttr)).toBe(true)
    expect(last.seqAttr).toEqual(first.seqAttr)
  }, 60_000)
})

describe('lLM perturbation runs: one cached model, bounded memory', () => {
  it('100 runs reuse one cached CausalLm (no new ORT sessions) and rss grows by less than 150 MB', async () => {
    const request: AttributionRequest = {
      model: fx.dir,
      method: 'FeatureAblation',
      input: { type: 'text', text: 'Dave lives in Palm Coast' },
      target: ' golf',
    }
    const first = await runRequest(request, env) as LlmResponse
    // runRequest resolves the folder and passes options; the cache key is path + dtype + scorer.
    const lm = await getCausalLm(fx.dir)
    expect(await getCausalLm({ source: fx.dir, options: { dtype: 'fp32' } })).toBe(lm)
    expect(lm.scorer).toBe('attribution-graph')
    const rowsBefore = lm.stats.rows
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    const rss0 = process.memoryUsage().rss
    let last = first
    for (let i = 0; i < 100; i++)
      last = await runRequest(request, env) as LlmResponse
    gc?.()
    const grown = process.memoryUsage().rss - rss0
    // Every run went through the one cached instance: its counters saw all 100 runs' rows.
    expect(lm.stats.rows - rowsBefore).toBe(100 * first.stats.rows)
    expect(await getCausalLm(fx.dir)).toBe(lm)
    expect(last.seqAttr).toEqual(first.seqAttr)
    // Bound: a second session of this model alone would hold its 6.5 MB of weights plus
    // ORT's arena (tens of MB); one per run would be > 1 GB over 100 runs. 150 MB leaves
    // room for V8 heap growth and allocator noise without GC control, and still fails
    // at ≈ 10 leaked sessions or at a leak of ≥ 1.5 MB per run (e.g. kept logits).
    expect(grown).toBeLessThan(150 * 2 ** 20)
  }, 90_000)
})
