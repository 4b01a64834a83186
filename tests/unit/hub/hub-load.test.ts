import type { LlmResponse } from '../../../engine/api'
/**
 * The causal LM end to end from a stand-in hub serving our tiny GPT-2 fixture as
 * Xenova/distilgpt2 + distilbert/distilgpt2: transformers.js loads it through our
 * customCache (our progress, our integrity checks), the numbers equal those of the same
 * model loaded from a folder, and a second load comes from the cache without a request.
 */
import type { MemoryHubCache } from '../../../engine/models/hub'
import type { LoadProgress } from '../../../engine/worker-protocol'
import type { StandInHub } from './stand-in-hub'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { hubModel, memoryHubCache } from '../../../engine/models/hub'
import { HUB_MODELS } from '../../../engine/models/hub-config'
import { locateModel } from '../../../engine/models/hub-locate'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { makeTinyFixture } from '../llm/helpers'
import { hubFilesFromFolder, startStandInHub } from './stand-in-hub'

const ONNX = 'onnx/decoder_model_merged.onnx'

describe('distilgpt2 from the (stand-in) hub', () => {
  let fx: { dir: string, cleanup: () => void }
  let hub: StandInHub
  let cache: MemoryHubCache
  const loads: LoadProgress[] = []

  beforeAll(async () => {
    fx = await makeTinyFixture()
    hub = await startStandInHub(hubFilesFromFolder(fx.dir))
    cache = memoryHubCache()
  })
  afterAll(async () => {
    await hub?.close()
    fx?.cleanup()
  })

  const request = {
    model: 'distilgpt2',
    method: 'FeatureAblation' as const,
    input: { type: 'text' as const, text: 'Dave lives in Palm Coast' },
    target: ' and plays golf',
  }

  it('runs FeatureAblation on the hub model with the same numbers as from the folder', async () => {
    const env = nodeEnv({
      offline: false,
      // What the worker does, with a Node folder as public/models/ that lacks distilgpt2.
      locate: name => locateModel(name, { modelsBaseUrl: `${hub.url}/deck/models/`, offline: false, hubUrl: hub.url, cache, onLoad: l => loads.push(l) }),
    })
    const fromHub = await runRequest(request, env) as LlmResponse
    const fromFolder = await runRequest({ ...request, model: fx.dir }, nodeEnv()) as LlmResponse
    expect(fromHub.inputTokens).toEqual(['Dave', 'Ġlives', 'Ġin', 'ĠPalm', 'ĠCoast'])
    expect(fromHub.seqAttr).toEqual(fromFolder.seqAttr)
    expect(fromHub.tokenAttr).toEqual(fromFolder.tokenAttr)
    expect(fromHub.seqAttr.some(v => v !== 0)).toBe(true)

    // Every byte came through our wrapper, each file once; transformers.js fetched nothing
    // itself. The attribution graph is generated from distilbert/distilgpt2's
    // model.safetensors: the ONNX export is not downloaded at all.
    const resolved = hub.requests.filter(r => r.path.includes('/resolve/'))
    expect(resolved.every(r => r.path.startsWith('/Xenova/distilgpt2/resolve/main/') || r.path === '/distilbert/distilgpt2/resolve/main/model.safetensors')).toBe(true)
    expect(hub.gets(ONNX)).toBe(0)
    expect(hub.gets('tokenizer.json')).toBe(1)
    expect(hub.gets('model.safetensors')).toBe(1)
    const weightLoads = loads.filter(l => l.file === 'model.safetensors')
    const hubLoads = weightLoads.filter(l => l.source === 'hub')
    expect(hubLoads.length).toBeGreaterThan(0)
    expect(hubLoads.at(-1)!.loaded).toBe(hubLoads.at(-1)!.total)
    expect(cache.entries.has(`${hub.url}/distilbert/distilgpt2/resolve/main/model.safetensors`)).toBe(true)
  })

  it('a second load (a new page, the same Cache Storage) makes no hub request and gives the same logits (full-logits scorer: the ONNX export)', async () => {
    const before = hub.requests.length
    const events: Array<{ file: string, source: string }> = []
    // The fallback scorer downloads the export once, then the cache serves it.
    await loadCausalLm('distilgpt2-first', { hub: hubModel(HUB_MODELS.distilgpt2, { hubUrl: hub.url, cache }), scorer: 'full-logits' }).then(m => m.dispose())
    expect(hub.gets(ONNX)).toBe(1)
    const afterFirst = hub.requests.length
    expect(afterFirst).toBeGreaterThan(before)
    const h = hubModel(HUB_MODELS.distilgpt2, { hubUrl: hub.url, cache, onLoad: e => events.push(e) })
    const lm = await loadCausalLm('distilgpt2-again', { hub: h, scorer: 'full-logits' })
    const folder = await loadCausalLm(fx.dir, { scorer: 'full-logits' })
    expect(lm.modelFile).toBe('decoder_model_merged')
    const ids = lm.encode('Hello world, hello hub')
    const [a] = await lm.logits([ids])
    const [b] = await folder.logits([ids])
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(hub.requests.length).toBe(afterFirst)
    expect(events.some(e => e.file === ONNX)).toBe(true)
    expect(events.every(e => e.source === 'cache')).toBe(true)
    await lm.dispose()
    await folder.dispose()
  })

  it('the gradient path shares the hub session (model.safetensors read once): same numbers as the folder', async () => {
    const events: LoadProgress[] = []
    const env = nodeEnv({
      offline: false,
      locate: name => locateModel(name, { modelsBaseUrl: `${hub.url}/deck/models/`, offline: false, hubUrl: hub.url, cache, onLoad: l => events.push(l) }),
    })
    const lig = { ...request, method: 'LayerIntegratedGradients' as const, options: { nSteps: 8 } }
    const fromHub = await runRequest(lig, env) as LlmResponse
    const fromFolder = await runRequest({ ...lig, model: fx.dir }, nodeEnv()) as LlmResponse
    expect(fromHub.seqAttr).toEqual(fromFolder.seqAttr)
    expect(fromHub.seqAttr.some(v => v !== 0)).toBe(true)
    // The perturbation run above loaded the session: the gradient run reuses it, no new request.
    expect(hub.gets('model.safetensors')).toBe(1)
    expect(events.filter(e => e.file === 'model.safetensors')).toEqual([])
  })

  it('a local folder load after a hub load is unaffected by the hub settings', async () => {
    const lm = await loadCausalLm(fx.dir)
    expect(lm.location).toBe(`${fx.dir}/`)
    expect(lm.encode('Dave')).toEqual([27984])
    await lm.dispose()
  })
})
