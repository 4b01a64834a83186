import type { HubLoadEvent } from '../../../engine/models/hub'
/**
 * The hub fetch wrapper (engine/models/hub.ts) and the loading order (hub-locate.ts)
 * against a local stand-in hub: progress, Cache Storage (in memory here: Node has none),
 * offline and unreachable hubs, and truncated or lying downloads.
 */
import type { StandInHub } from './stand-in-hub'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { sha256Hex } from '../../../engine/core/manifest'
import { hubModel, memoryHubCache, openHubCache } from '../../../engine/models/hub'
import { DEFAULT_HUB_REVISION, HUB_CACHE_NAME, HUB_MODELS, hubLockedSha256, hubRevision } from '../../../engine/models/hub-config'
import { locateModel } from '../../../engine/models/hub-locate'
import { sha256, STAND_IN_COMMIT, startStandInHub } from './stand-in-hub'

const XENOVA = 'Xenova/distilgpt2'
const DISTILBERT = 'distilbert/distilgpt2'
const spec = HUB_MODELS.distilgpt2

/** Deterministic pseudo-random bytes (an LCG): stand-ins for the ONNX and safetensors files. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed >>> 0
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    out[i] = x >>> 24
  }
  return out
}

const enc = (s: string) => new TextEncoder().encode(s)
const CONFIG = enc(JSON.stringify({ model_type: 'gpt2', n_positions: 128, vocab_size: 50257 }))
const ONNX = bytes(600_000, 1)
const SAFETENSORS = bytes(400_000, 2)
const REPOS = {
  [XENOVA]: {
    'config.json': CONFIG,
    'tokenizer.json': enc('{"model":{}}'),
    'tokenizer_config.json': enc('{}'),
    'onnx/decoder_model_merged.onnx': ONNX,
  },
  [DISTILBERT]: { 'model.safetensors': SAFETENSORS },
}

async function errorOf(p: Promise<unknown>): Promise<AttributionError> {
  try {
    await p
  }
  catch (e) {
    expect(e).toBeInstanceOf(AttributionError)
    expect((e as Error).message).not.toMatch(/\n/)
    return e as AttributionError
  }
  throw new Error('expected an AttributionError')
}

describe('hub settings', () => {
  it('revision: main unless models.lock.json pins a commit; sha256 only from the lock entry of that repo', () => {
    expect(DEFAULT_HUB_REVISION).toBe('main')
    expect(hubRevision(XENOVA)).toBe('main')
    const lock = { repos: { [XENOVA]: { commit: 'a'.repeat(40) } }, files: { 'config.json': { repo: XENOVA, sha256: 'AB'.repeat(32) } } }
    expect(hubRevision(XENOVA, lock)).toBe('a'.repeat(40))
    expect(hubRevision(DISTILBERT, lock)).toBe('main')
    expect(hubLockedSha256('config.json', XENOVA, lock)).toBe('ab'.repeat(32))
    expect(hubLockedSha256('config.json', DISTILBERT, lock)).toBeNull()
    expect(hubLockedSha256('tokenizer.json', XENOVA, lock)).toBeNull()
    expect(HUB_CACHE_NAME).toBe('explain-llm-live-models-v1')
  })
})

describe('hub fetch wrapper', () => {
  let hub: StandInHub
  beforeAll(async () => {
    hub = await startStandInHub(REPOS)
  })
  afterEach(() => {
    hub.faults.clear()
  })
  afterAll(async () => {
    await hub.close()
  })

  it('streams a download with progress, then serves the second visit from the cache', async () => {
    const cache = memoryHubCache()
    const events: HubLoadEvent[] = []
    const first = hubModel(spec, { hubUrl: hub.url, cache, onLoad: e => events.push(e) })
    const before = hub.gets('onnx/decoder_model_merged.onnx')
    const got = await first.readBytes('onnx/decoder_model_merged.onnx')
    expect(sha256(got)).toBe(sha256(ONNX))
    expect(hub.gets('onnx/decoder_model_merged.onnx')).toBe(before + 1)
    expect(events.length).toBeGreaterThanOrEqual(2)
    expect(events.every(e => e.source === 'hub' && e.file === 'onnx/decoder_model_merged.onnx' && e.total === ONNX.length)).toBe(true)
    expect(events[0].loaded).toBe(0)
    expect(events.at(-1)!.loaded).toBe(ONNX.length)
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded)
    // Stored under its resolve URL, with the verified length, sha256 and commit.
    const key = `${hub.url}/${XENOVA}/resolve/main/onnx/decoder_model_merged.onnx`
    expect(first.urlOf('onnx/decoder_model_merged.onnx')).toBe(key)
    const entry = cache.entries.get(key)!
    expect(entry.body.length).toBe(ONNX.length)
    expect(entry.headers['x-sha256']).toBe(sha256(ONNX))
    expect(entry.headers['x-repo-commit']).toBe(STAND_IN_COMMIT)

    // Second visit (a fresh page: a new HubModel, the same Cache Storage): no request.
    const again: HubLoadEvent[] = []
    const second = hubModel(spec, { hubUrl: hub.url, cache, onLoad: e => again.push(e) })
    expect(sha256(await second.readBytes('onnx/decoder_model_merged.onnx'))).toBe(sha256(ONNX))
    expect(hub.gets('onnx/decoder_model_merged.onnx')).toBe(before + 1)
    expect(again.length).toBeGreaterThan(0)
    expect(again.every(e => e.source === 'cache')).toBe(true)
    expect(again.at(-1)!.loaded).toBe(ONNX.length)
  })

  it('model.safetensors comes from distilbert/distilgpt2, the rest from Xenova/distilgpt2', async () => {
    const h = hubModel(spec, { hubUrl: hub.url, cache: null })
    expect(h.urlOf('model.safetensors')).toBe(`${hub.url}/${DISTILBERT}/resolve/main/model.safetensors`)
    expect(sha256(await h.readBytes('model.safetensors'))).toBe(sha256(SAFETENSORS))
    expect(JSON.parse(await h.readText('config.json')).model_type).toBe('gpt2')
    expect(await h.exists('config.json')).toBe(true)
    expect(await h.exists('bow.json')).toBe(false)
    expect(await h.exists('onnx/model.onnx')).toBe(false) // not in Xenova/distilgpt2
    expect(await h.exists('generation_config.json')).toBe(false) // optional, 404 on this stand-in
  })

  it('a connection cut mid-body is retried once and the complete file is used', async () => {
    const cache = memoryHubCache()
    const events: HubLoadEvent[] = []
    hub.faults.set('onnx/decoder_model_merged.onnx', ['cut'])
    const before = hub.gets('onnx/decoder_model_merged.onnx')
    const h = hubModel(spec, { hubUrl: hub.url, cache, onLoad: e => events.push(e) })
    expect(sha256(await h.readBytes('onnx/decoder_model_merged.onnx'))).toBe(sha256(ONNX))
    expect(hub.gets('onnx/decoder_model_merged.onnx')).toBe(before + 2)
    expect(cache.entries.get(h.urlOf('onnx/decoder_model_merged.onnx'))!.body.length).toBe(ONNX.length)
  })

  it('a body cut short with a matching Content-Length is caught by the sha256 of X-Linked-Etag', async () => {
    const cache = memoryHubCache()
    hub.faults.set('model.safetensors', ['short'])
    const h = hubModel(spec, { hubUrl: hub.url, cache })
    expect(sha256(await h.readBytes('model.safetensors'))).toBe(sha256(SAFETENSORS))
    expect(hub.faults.get('model.safetensors')).toEqual([])
  })

  it('truncated twice → corrupt-model, and nothing is cached', async () => {
    const cache = memoryHubCache()
    hub.faults.set('onnx/decoder_model_merged.onnx', ['cut', 'cut'])
    const h = hubModel(spec, { hubUrl: hub.url, cache })
    const e = await errorOf(h.readBytes('onnx/decoder_model_merged.onnx'))
    expect(e.code).toBe('corrupt-model')
    expect(e.message).toContain('npm run models')
    expect(cache.entries.size).toBe(0)
  })

  it('a server that lies about the sha256 → corrupt-model after one retry, nothing cached', async () => {
    const cache = memoryHubCache()
    hub.faults.set('model.safetensors', ['bad-sha', 'bad-sha'])
    const before = hub.gets('model.safetensors')
    const h = hubModel(spec, { hubUrl: hub.url, cache })
    const e = await errorOf(h.readBytes('model.safetensors'))
    expect(e.code).toBe('corrupt-model')
    expect(e.message).toMatch(/sha256/)
    expect(hub.gets('model.safetensors')).toBe(before + 2)
    expect(cache.entries.size).toBe(0)
  })

  it('models.lock.json: its commit is the revision fetched, and its sha256 is enforced', async () => {
    const good = { repos: { [XENOVA]: { commit: 'c'.repeat(40) } }, files: { 'config.json': { repo: XENOVA, sha256: sha256(CONFIG) } } }
    const h = hubModel(spec, { hubUrl: hub.url, cache: null, lock: good })
    expect(h.urlOf('config.json')).toBe(`${hub.url}/${XENOVA}/resolve/${'c'.repeat(40)}/config.json`)
    expect(await h.readText('config.json')).toBe(new TextDecoder().decode(CONFIG))
    const bad = { files: { 'config.json': { repo: XENOVA, sha256: '0'.repeat(64) } } }
    const e = await errorOf(hubModel(spec, { hubUrl: hub.url, cache: null, lock: bad }).readBytes('config.json'))
    expect(e.code).toBe('corrupt-model')
  })

  it('a damaged cache entry is never used: it is dropped and downloaded again', async () => {
    const cache = memoryHubCache()
    const h = hubModel(spec, { hubUrl: hub.url, cache })
    const url = h.urlOf('model.safetensors')
    await h.readBytes('model.safetensors')
    const entry = cache.entries.get(url)!
    cache.entries.set(url, { ...entry, body: entry.body.slice(0, 1000) }) // say, a disk write cut short
    const before = hub.gets('model.safetensors')
    const events: HubLoadEvent[] = []
    const again = hubModel(spec, { hubUrl: hub.url, cache, onLoad: e => events.push(e) })
    expect(sha256(await again.readBytes('model.safetensors'))).toBe(sha256(SAFETENSORS))
    expect(hub.gets('model.safetensors')).toBe(before + 1)
    expect(events.at(-1)!.source).toBe('hub')
    expect(cache.entries.get(url)!.body.length).toBe(SAFETENSORS.length)
  })

  it('the transformers.js customCache answers this model\'s hub URLs with verified bytes, nothing else', async () => {
    const h = hubModel(spec, { hubUrl: hub.url, cache: memoryHubCache() })
    await h.prefetch(['config.json', 'generation_config.json', 'onnx/decoder_model_merged.onnx'])
    const tc = h.transformersCache()
    const res = await tc.match(h.urlOf('onnx/decoder_model_merged.onnx'))
    expect(res).toBeDefined()
    expect(res!.headers.get('content-length')).toBe(String(ONNX.length))
    expect(sha256(new Uint8Array(await res!.arrayBuffer()))).toBe(sha256(ONNX))
    expect(await tc.match(`${hub.url}/${XENOVA}/resolve/main/generation_config.json`)).toBeUndefined() // 404 on the hub
    expect(await tc.match('/models/Xenova/distilgpt2/config.json')).toBeUndefined()
    expect(await tc.match(`${hub.url}/other/repo/resolve/main/config.json`)).toBeUndefined()
    expect(await tc.match(`${hub.url}/${DISTILBERT}/resolve/main/config.json`)).toBeUndefined() // wrong repo for that file
  })

  it('with a pinned commit, transformers.js\'s metadata lookups at `main` get the pinned bytes, not a hub request', async () => {
    const lock = { repos: { [XENOVA]: { commit: 'd'.repeat(40) } } }
    const h = hubModel(spec, { hubUrl: hub.url, cache: null, lock })
    await h.prefetch(['tokenizer_config.json'])
    const n = hub.requests.length
    const res = await h.transformersCache().match(`${hub.url}/${XENOVA}/resolve/main/tokenizer_config.json`)
    expect(await res!.text()).toBe('{}')
    expect(hub.requests.length).toBe(n)
    expect(hub.requests.at(-1)!.path).toBe(`/${XENOVA}/resolve/${'d'.repeat(40)}/tokenizer_config.json`)
  })

  it('sha256Hex is the standard SHA-256', async () => {
    expect(await sha256Hex(enc('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
})

describe('loading order: public/models/ → hub → missing-model', () => {
  let hub: StandInHub
  beforeAll(async () => {
    hub = await startStandInHub(REPOS, { distilgpt2: { 'config.json': CONFIG }, bow: { 'bow.json': enc('{}') } })
  })
  afterAll(async () => {
    await hub.close()
  })

  it('a served public/models/<name>/ wins; the hub is not asked', async () => {
    const n = hub.requests.length
    const loc = await locateModel('distilgpt2', { modelsBaseUrl: `${hub.url}/models/`, offline: false, hubUrl: hub.url, cache: null })
    expect(loc.hub).toBeUndefined()
    expect(loc.files.location).toBe(`${hub.url}/models/distilgpt2/`)
    expect(hub.requests.slice(n).every(r => r.path.startsWith('/models/'))).toBe(true)
  })

  it('the SPA fallback (HTML, 200) does not count as a local model: the hub is used', async () => {
    const cache = memoryHubCache()
    const events: HubLoadEvent[] = []
    const loc = await locateModel('distilgpt2', { modelsBaseUrl: `${hub.url}/deck/models/`, offline: false, hubUrl: hub.url, cache, onLoad: e => events.push(e) })
    expect(loc.hub).toBeDefined()
    expect(loc.files).toBe(loc.hub)
    expect(JSON.parse(await loc.files.readText('config.json')).model_type).toBe('gpt2')
    expect(events.some(e => e.file === 'config.json' && e.source === 'hub')).toBe(true)
    expect(cache.entries.has(`${hub.url}/${XENOVA}/resolve/main/config.json`)).toBe(true)
  })

  it('offline → missing-model naming `npm run models`, without a single hub request', async () => {
    const n = hub.requests.length
    const e = await errorOf(locateModel('distilgpt2', { modelsBaseUrl: `${hub.url}/deck/models/`, offline: true, hubUrl: hub.url, cache: null }))
    expect(e.code).toBe('missing-model')
    expect(e.message).toContain('npm run models')
    expect(hub.requests.slice(n).some(r => r.path.includes('/resolve/'))).toBe(false)
  })

  it('hub unreachable → missing-model naming `npm run models`', async () => {
    const dead = await startStandInHub({})
    const deadUrl = dead.url
    await dead.close()
    const e = await errorOf(locateModel('distilgpt2', { modelsBaseUrl: `${hub.url}/deck/models/`, offline: false, hubUrl: deadUrl, cache: null }))
    expect(e.code).toBe('missing-model')
    expect(e.message).toContain('npm run models')
    expect(e.message).toContain('unreachable')
  })

  it('a model the hub fallback does not know stays local-only (no hub request)', async () => {
    const n = hub.requests.length
    const loc = await locateModel('tiny-gpt2', { modelsBaseUrl: `${hub.url}/deck/models/`, offline: false, hubUrl: hub.url, cache: null })
    expect(loc.hub).toBeUndefined()
    expect(await loc.files.exists('config.json')).toBe(false)
    expect(hub.requests.slice(n).some(r => r.path.includes('/resolve/'))).toBe(false)
  })
})

describe('cache Storage versioning', () => {
  it('opens explain-llm-live-models-v1 and deletes older versions, leaving other caches alone', async () => {
    const stores = new Map<string, ReturnType<typeof memoryHubCache>>([
      ['explain-llm-live-models-v0', memoryHubCache()],
      ['transformers-cache', memoryHubCache()],
    ])
    // The browser's CacheStorage, reduced to what openHubCache uses.
    const storage = {
      keys: async () => [...stores.keys()],
      delete: async (name: string) => stores.delete(name),
      open: async (name: string) => {
        if (!stores.has(name))
          stores.set(name, memoryHubCache())
        return stores.get(name)!
      },
    } as unknown as CacheStorage
    const cache = await openHubCache(storage)
    expect(cache).not.toBeNull()
    expect([...stores.keys()].sort()).toEqual(['explain-llm-live-models-v1', 'transformers-cache'])
    await cache!.put('http://h/x', new Response(enc('hi')))
    expect(stores.get('explain-llm-live-models-v1')!.entries.has('http://h/x')).toBe(true)
    expect(await openHubCache(undefined)).toBeNull()
  })
})
