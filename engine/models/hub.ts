import type { ModelFiles } from '../core/files'
import type { HubLock, HubModelSpec } from './hub-config'
/**
 * The one door to the Hugging Face hub: every hub file the deck needs is fetched here,
 * streamed with progress, checked (length against Content-Length, sha256 against the
 * lock or the hub's `X-Linked-Etag`), retried once, and only then stored in the
 * browser's Cache Storage, so the second visit loads from disk (`source: 'cache'`).
 * A truncated or corrupted download is never used and never stored.
 *
 * transformers.js loads the causal LM through `transformersCache()`: its `customCache`
 * hook asks us for each hub URL, so its progress, integrity and caching are ours too.
 * This module imports no runtime; Node has no Cache Storage, so the cache is injectable
 * (`memoryHubCache()` for tests).
 */
import { AttributionError } from '../core/errors'
import { sha256Hex } from '../core/manifest'
import { DEFAULT_HUB_URL, HUB_CACHE_NAME, HUB_CACHE_PREFIX, hubLockedSha256, hubRevision } from './hub-config'
import { linkedEtagSha256 } from './hub-files.mjs'

/** The part of the Web `Cache` interface we use (Cache Storage in a browser, a Map in tests). */
export interface HubCache {
  match: (key: string) => Promise<Response | undefined>
  put: (key: string, response: Response) => Promise<void>
  delete: (key: string) => Promise<boolean>
}

/** Bytes of one file arriving: from the hub (download) or from the Cache Storage (second visit). */
export interface HubLoadEvent {
  file: string
  loaded: number
  total: number
  source: 'hub' | 'cache'
}

export interface HubOptions {
  /** Hub host, default `https://huggingface.co` (tests: a local stand-in). */
  hubUrl?: string
  /** `models.lock.json`: pinned commits and sha256 sums (see hub-config.ts). */
  lock?: HubLock | null
  /** Where verified files are kept; null: this session only (no Cache Storage). */
  cache?: HubCache | null
  fetch?: typeof fetch
  onLoad?: (event: HubLoadEvent) => void
  /** Downloads retried after a truncated/corrupt one (default 1). */
  retries?: number
}

const OFFLINE_HINT = 'For a talk without internet, run `npm run models` once beforehand (it puts the model in public/models/).'

/** An in-memory stand-in for Cache Storage (Node tests; or no Cache Storage available). */
export interface MemoryHubCache extends HubCache {
  /** The stored entries, for tests that inspect or damage them. */
  readonly entries: Map<string, { body: Uint8Array, headers: Record<string, string> }>
}

/**
 * A `HubCache` kept in memory. Entries are copied in and out, like the real Cache Storage.
 *
 * @example
 * const cache = memoryHubCache()
 * const hub = hubModel(HUB_MODELS.distilgpt2, { cache, hubUrl: 'http://127.0.0.1:9999' })
 */
export function memoryHubCache(): MemoryHubCache {
  const entries = new Map<string, { body: Uint8Array, headers: Record<string, string> }>()
  return {
    entries,
    async match(key) {
      const e = entries.get(key)
      return e ? new Response(e.body.slice(), { status: 200, headers: e.headers }) : undefined
    },
    async put(key, response) {
      const body = new Uint8Array(await response.arrayBuffer())
      const headers: Record<string, string> = {}
      response.headers.forEach((v, k) => (headers[k] = v))
      entries.set(key, { body, headers })
    },
    async delete(key) {
      return entries.delete(key)
    },
  }
}

/**
 * Opens this version's Cache Storage cache (`explain-llm-live-models-v1`) and deletes any
 * older `explain-llm-live-models-*` cache. Null where Cache Storage is missing (Node,
 * or an insecure origin).
 *
 * @example
 * const cache = await openHubCache() // in the worker
 */
export async function openHubCache(storage: CacheStorage | undefined = (globalThis as { caches?: CacheStorage }).caches): Promise<HubCache | null> {
  if (!storage)
    return null
  try {
    for (const name of await storage.keys()) {
      if (name.startsWith(HUB_CACHE_PREFIX) && name !== HUB_CACHE_NAME)
        await storage.delete(name)
    }
    const cache = await storage.open(HUB_CACHE_NAME)
    return {
      match: key => cache.match(key),
      put: (key, response) => cache.put(key, response),
      delete: key => cache.delete(key),
    }
  }
  catch {
    // Storage disabled (private mode, quota policy): still work, for this session only.
    return null
  }
}

let shared: Promise<HubCache | null> | null = null

/**
 * The worker's one Cache Storage handle; the old-version cleanup runs once, on first use.
 *
 * @example
 * const hub = hubModel(spec, { cache: await sharedHubCache() })
 */
export function sharedHubCache(): Promise<HubCache | null> {
  shared ??= openHubCache()
  return shared
}

/** Reads a body to the end, reporting bytes as they arrive (at most every 100 ms, plus the last). */
async function readWithProgress(response: Response, total: number, report: (loaded: number) => void): Promise<Uint8Array> {
  const reader = response.body?.getReader()
  if (!reader)
    return new Uint8Array(await response.arrayBuffer())
  let buffer = new Uint8Array(total > 0 ? total : 1 << 16)
  let loaded = 0
  let last = 0
  let reported = 0
  report(0)
  for (;;) {
    const { done, value } = await reader.read()
    if (done)
      break
    if (loaded + value.length > buffer.length) {
      // More bytes than announced (or no announcement): grow; the length check decides later.
      const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length))
      grown.set(buffer.subarray(0, loaded))
      buffer = grown
    }
    buffer.set(value, loaded)
    loaded += value.length
    const now = Date.now()
    if (now - last >= 100) {
      last = now
      reported = loaded
      report(loaded)
    }
  }
  if (reported !== loaded)
    report(loaded)
  return loaded === buffer.length ? buffer : buffer.slice(0, loaded)
}

/** Why a download was refused; null when it is complete and matches its hashes. */
async function verify(bytes: Uint8Array, expectedLength: number | null, expectedSha: string | null): Promise<{ problem: string | null, sha: string | null }> {
  if (expectedLength !== null && bytes.length !== expectedLength)
    return { problem: `got ${bytes.length} of ${expectedLength} bytes`, sha: null }
  if (!expectedSha)
    return { problem: null, sha: null }
  const sha = await sha256Hex(bytes)
  return { problem: sha === expectedSha ? null : `sha256 ${sha.slice(0, 12)}… is not the expected ${expectedSha.slice(0, 12)}…`, sha }
}

/**
 * A model's files on the hub, as `ModelFiles` (the gradient path reads `model.safetensors`
 * through it) plus the `customCache` that transformers.js loads the ONNX model through.
 */
export class HubModel implements ModelFiles {
  readonly spec: HubModelSpec
  readonly hubUrl: string
  readonly location: string
  /** Key of the loaded model in the engine's model cache: repo and revision. */
  readonly id: string
  private readonly lock: HubLock | null
  private readonly cache: HubCache | null
  private readonly fetchImpl: typeof fetch
  private readonly onLoad?: (event: HubLoadEvent) => void
  private readonly retries: number
  private readonly inflight = new Map<string, Promise<Uint8Array>>()
  /** Verified bytes waiting for transformers.js (and the session copy when nothing can be cached). */
  private readonly ready = new Map<string, Uint8Array>()
  /** Files the hub answered 404 for (optional ones). */
  private readonly absent = new Set<string>()

  constructor(spec: HubModelSpec, options: HubOptions = {}) {
    this.spec = spec
    this.hubUrl = (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '')
    this.lock = options.lock ?? null
    this.cache = options.cache ?? null
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
    this.onLoad = options.onLoad
    this.retries = options.retries ?? 1
    this.location = `${this.hubUrl}/${spec.onnxRepo}/resolve/${this.revision(spec.onnxRepo)}/`
    this.id = `hub:${spec.files.map(f => `${f.repo}@${this.revision(f.repo)}`).filter((v, i, a) => a.indexOf(v) === i).join(',')}`
  }

  /** The revision `repo` is fetched at: the lock's commit, else `main`. */
  revision(repo: string): string {
    return hubRevision(repo, this.lock)
  }

  /** The resolve URL of one of the model's files (also its Cache Storage key). */
  urlOf(path: string): string {
    const file = this.fileSpec(path)
    const repo = file?.repo ?? this.spec.onnxRepo
    return `${this.hubUrl}/${repo}/resolve/${encodeURIComponent(this.revision(repo))}/${path}`
  }

  private fileSpec(path: string) {
    return this.spec.files.find(f => f.path === path)
  }

  async exists(name: string): Promise<boolean> {
    const file = this.fileSpec(name)
    if (!file || this.absent.has(name))
      return false
    if (file.required || this.ready.has(name))
      return true
    if (await this.cache?.match(this.urlOf(name)))
      return true
    try {
      const res = await this.fetchImpl(this.urlOf(name), { method: 'HEAD' })
      return res.ok
    }
    catch {
      return false
    }
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const kept = this.ready.get(name)
    if (kept)
      return kept
    return this.ensure(name)
  }

  async readText(name: string): Promise<string> {
    return new TextDecoder().decode(await this.readBytes(name))
  }

  /**
   * Fetches these files (cache first) and keeps their verified bytes for transformers.js.
   * Missing optional files are skipped; a missing required one throws `missing-model`.
   */
  async prefetch(paths: string[]): Promise<void> {
    for (const path of paths) {
      const file = this.fileSpec(path)
      try {
        this.ready.set(path, await this.ensure(path))
      }
      catch (e) {
        if (file && !file.required && this.absent.has(path))
          continue
        throw e
      }
    }
  }

  /**
   * A transformers.js `CacheInterface` (`env.customCache`): it answers the hub URLs of
   * this model's files with our verified bytes and stores nothing itself.
   */
  transformersCache(): { match: (key: string) => Promise<Response | undefined>, put: (key: string, response: Response) => Promise<void> } {
    return {
      match: async (key: string) => {
        const path = this.pathOfUrl(key)
        if (!path || this.absent.has(path))
          return undefined
        const bytes = this.ready.get(path) ?? await this.ensure(path)
        return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(bytes.length) } })
      },
      // Only files we verified are stored; transformers.js's own puts (e.g. ORT's wasm) are ignored.
      put: async () => {},
    }
  }

  /** Drops the prefetched bytes once transformers.js has its own copy (the model is loaded). */
  releasePrefetched(): void {
    this.ready.clear()
  }

  /**
   * The model file a hub URL names, whatever revision it asks for: transformers.js asks
   * some metadata at `main` even when we pinned a commit, and the pinned bytes are the answer.
   */
  private pathOfUrl(url: string): string | null {
    const prefix = `${this.hubUrl}/`
    if (!url.startsWith(prefix))
      return null
    const m = /^([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(url.slice(prefix.length))
    if (!m)
      return null
    const file = this.spec.files.find(f => f.repo === m[1] && f.path === m[2])
    return file ? file.path : null
  }

  /** One file's verified bytes: cache hit, or a (single, shared) download. */
  private ensure(path: string): Promise<Uint8Array> {
    let p = this.inflight.get(path)
    if (!p) {
      p = this.load(path).finally(() => this.inflight.delete(path))
      this.inflight.set(path, p)
    }
    return p
  }

  private async load(path: string): Promise<Uint8Array> {
    const file = this.fileSpec(path)
    if (!file)
      throw new AttributionError('missing-model', `${path} is not one of the files of ${this.spec.name} on the hub.`)
    const url = this.urlOf(path)
    const pinned = hubLockedSha256(path, file.repo, this.lock)
    const fromCache = await this.fromCache(path, url, pinned)
    if (fromCache)
      return fromCache
    const problems: string[] = []
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const got = await this.download(path, url, pinned)
      if ('bytes' in got) {
        await this.store(path, url, got.bytes, got.headers, got.sha)
        return got.bytes
      }
      problems.push(got.problem)
    }
    throw new AttributionError('corrupt-model', `The download of ${url} was incomplete or corrupt ${problems.length} times (${problems.join('; ')}); nothing was kept. Reload to try again. ${OFFLINE_HINT}`)
  }

  private async fromCache(path: string, url: string, pinned: string | null): Promise<Uint8Array | null> {
    if (!this.cache)
      return null
    let res: Response | undefined
    try {
      res = await this.cache.match(url)
    }
    catch {
      return null
    }
    if (!res)
      return null
    const stored = Number(res.headers.get('content-length') ?? Number.NaN)
    const total = Number.isFinite(stored) ? stored : 0
    let bytes: Uint8Array
    try {
      bytes = await readWithProgress(res, total, loaded => this.onLoad?.({ file: path, loaded, total: Math.max(total, loaded), source: 'cache' }))
    }
    catch {
      bytes = new Uint8Array(0)
    }
    // A cached entry that is short, or that hashes differently from what the lock pins, is dropped and fetched again.
    const { problem } = await verify(bytes, Number.isFinite(stored) ? stored : null, pinned)
    if (problem) {
      await this.cache.delete(url).catch(() => false)
      return null
    }
    return bytes
  }

  private async download(path: string, url: string, pinned: string | null): Promise<{ bytes: Uint8Array, headers: Headers, sha: string | null } | { problem: string }> {
    let res: Response
    try {
      res = await this.fetchImpl(url)
    }
    catch (e) {
      throw new AttributionError('missing-model', `The model is not on this machine and the Hugging Face hub is unreachable (${url}: ${(e as Error).message}). ${OFFLINE_HINT}`)
    }
    if (res.status === 404) {
      this.absent.add(path)
      throw new AttributionError('missing-model', `${url} is not on the hub (HTTP 404). ${OFFLINE_HINT}`)
    }
    if (!res.ok)
      throw new AttributionError('missing-model', `The hub answered HTTP ${res.status} for ${url}. ${OFFLINE_HINT}`)
    // With Content-Encoding the header counts compressed bytes: then only a sha256 can tell.
    const lengthHeader = res.headers.get('content-encoding') ? null : res.headers.get('content-length')
    const expectedLength = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null
    const expectedSha = pinned ?? linkedEtagSha256(res.headers.get('x-linked-etag'))
    let bytes: Uint8Array
    try {
      bytes = await readWithProgress(res, expectedLength ?? 0, loaded => this.onLoad?.({ file: path, loaded, total: Math.max(expectedLength ?? 0, loaded), source: 'hub' }))
    }
    catch (e) {
      return { problem: `the connection broke: ${(e as Error).message}` }
    }
    const { problem, sha } = await verify(bytes, expectedLength, expectedSha)
    return problem ? { problem } : { bytes, headers: res.headers, sha }
  }

  private async store(path: string, url: string, bytes: Uint8Array, headers: Headers, sha: string | null): Promise<void> {
    const meta: Record<string, string> = {
      'content-type': headers.get('content-type') ?? 'application/octet-stream',
      'content-length': String(bytes.length),
    }
    if (sha)
      meta['x-sha256'] = sha
    const commit = headers.get('x-repo-commit')
    if (commit)
      meta['x-repo-commit'] = commit
    try {
      if (!this.cache)
        throw new Error('no cache')
      await this.cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers: meta }))
    }
    catch {
      // Quota exceeded or no Cache Storage: keep the verified bytes for this session only.
      this.ready.set(path, bytes)
    }
  }
}

/**
 * A model's hub files behind our fetch wrapper.
 *
 * @example
 * const hub = hubModel(HUB_MODELS.distilgpt2, { cache: await sharedHubCache(), onLoad: e => console.log(e) })
 * const config = JSON.parse(await hub.readText('config.json'))
 */
export function hubModel(spec: HubModelSpec, options: HubOptions = {}): HubModel {
  return new HubModel(spec, options)
}
