/**
 * Results recorded by `npm run bake` (public/baked/). A recorded result is shown at
 * once, marked "recorded", when the model folder's manifest hash equals the hash it was
 * baked with: a stale bake is ignored and the demo computes live. When the deck serves
 * no folder for the model at all (a static deck put online without the 330 MB LLM, for
 * students), there are no other weights to contradict the bake, so it is shown too:
 * the student sees the recorded numbers, and Run says how to get the model.
 *
 * Layout of public/baked/: `index.json` maps each request key (`requestKeyOf`) to the
 * file that holds its response and the `modelHash` of the weights that produced it;
 * the files are named by the key's sha256, so re-baking overwrites them in place.
 */
import type { AttributionRequest, AttributionResponse } from '../../engine/api'
import type { ModelManifest } from '../../engine/core/manifest'
import { modelHash, sha256Hex } from '../../engine/core/manifest'
import { requestKeyOf } from '../../engine/core/request-key'

export interface BakedEntry {
  /** The response's file, relative to baked/. */
  file: string
  /** `modelHash(manifest)` of the model folder the response was computed with. */
  modelHash: string
  /** The demo id (catalog), for people reading the index. */
  id?: string
}

export interface BakedIndex {
  /** requestKey → entry */
  entries: Record<string, BakedEntry>
}

/**
 * The baked file name of a request key: the first 20 hex digits of its sha256.
 *
 * @example
 * await bakedFileName(requestKeyOf(request)) // "00fab1cb76358b69b97d.json"
 */
export async function bakedFileName(key: string): Promise<string> {
  return `${(await sha256Hex(key)).slice(0, 20)}.json`
}

/**
 * The index entry for a request, or null when there is none or it was baked with other
 * weights than `currentModelHash` (the hash of the model folder the deck serves now;
 * null when that folder has no manifest, which never matches). With `modelServed`
 * false (no folder for the model at all) any entry for the request is used.
 *
 * @example
 * bakedEntry(index, request, await modelHash(manifest)) // { file, modelHash } | null
 * bakedEntry(index, request, null, false) // the recorded entry: nothing is served to contradict it
 */
export function bakedEntry(index: BakedIndex | null | undefined, request: AttributionRequest, currentModelHash: string | null, modelServed = true): BakedEntry | null {
  const entry = index?.entries?.[requestKeyOf(request)]
  if (!entry)
    return null
  if (!modelServed)
    return entry
  if (!currentModelHash || entry.modelHash !== currentModelHash)
    return null
  return entry
}

/** What the deck serves for a model: its weights' hash (null without a manifest), and whether a folder is there at all. */
interface ServedModel {
  hash: string | null
  served: boolean
}

/** Where the deck reads bakes and manifests from, and how (injectable for Node tools). */
export interface BakedSource {
  /** URL prefix of the baked folder, ending in '/' (e.g. `${BASE_URL}baked/`). */
  bakedBaseUrl: string
  /** URL prefix of the model folders, ending in '/' (`deckConfig().modelsBaseUrl`). */
  modelsBaseUrl: string
  /** JSON at a URL, or null when it is absent (404, or the SPA fallback's HTML). */
  fetchJson?: <T>(url: string) => Promise<T | null>
}

async function fetchJsonOrNull<T>(url: string): Promise<T | null> {
  try {
    const res = await fetch(url)
    if (!res.ok || (res.headers.get('content-type') ?? '').includes('text/html'))
      return null
    return await res.json() as T
  }
  catch {
    return null
  }
}

/**
 * A lookup of recorded responses: the index and each model's hash are fetched once.
 *
 * @example
 * const find = createBakedLookup({ bakedBaseUrl: '/baked/', modelsBaseUrl: 'http://localhost/models/' })
 * const response = await find(request) // AttributionResponse | null
 */
export function createBakedLookup(source: BakedSource): (request: AttributionRequest) => Promise<AttributionResponse | null> {
  const fetchJson = source.fetchJson ?? fetchJsonOrNull
  let index: Promise<BakedIndex | null> | null = null
  const served = new Map<string, Promise<ServedModel>>()
  const servedModel = (model: string) => {
    let found = served.get(model)
    if (!found) {
      const folder = `${source.modelsBaseUrl}${model}/`
      found = (async () => {
        const manifest = await fetchJson<ModelManifest>(`${folder}manifest.json`)
        if (manifest?.files)
          return { hash: await modelHash(manifest), served: true }
        // No manifest: a folder without one (never matches), or no folder at all?
        // Every model folder has config.json (GPT-2) or bow.json (BoW).
        const marker = await fetchJson<unknown>(`${folder}config.json`) ?? await fetchJson<unknown>(`${folder}bow.json`)
        return { hash: null, served: marker !== null }
      })()
      served.set(model, found)
    }
    return found
  }
  return async (request) => {
    index ??= fetchJson<BakedIndex>(`${source.bakedBaseUrl}index.json`)
    const idx = await index
    // Only hash the model (one manifest fetch) when this request was baked at all.
    if (!idx?.entries?.[requestKeyOf(request)])
      return null
    const model = await servedModel(request.model)
    const entry = bakedEntry(idx, request, model.hash, model.served)
    return entry ? fetchJson<AttributionResponse>(`${source.bakedBaseUrl}${entry.file}`) : null
  }
}

let deckLookup: Promise<(request: AttributionRequest) => Promise<AttributionResponse | null>> | null = null

/**
 * The recorded response for this request in the deck (under its base path), or null
 * (none, or baked with other weights).
 *
 * @example
 * const recorded = await findBaked(request)
 */
export async function findBaked(request: AttributionRequest): Promise<AttributionResponse | null> {
  // engine-client is Vite-only (import.meta.glob, the Worker URL): loaded here, so that
  // `npm run bake` and the unit tests can import this module in Node.
  deckLookup ??= import('./engine-client').then(({ deckConfig }) =>
    createBakedLookup({ bakedBaseUrl: `${import.meta.env.BASE_URL}baked/`, modelsBaseUrl: deckConfig().modelsBaseUrl }))
  return (await deckLookup)(request)
}
