/**
 * Results recorded by `npm run bake` (public/baked/). A recorded result is shown at
 * once, marked "recorded", and only when the model folder's manifest hash equals the
 * hash it was baked with: a stale bake is ignored.
 */
import type { AttributionRequest, AttributionResponse } from '../../engine/api'
import { modelHash } from '../../engine/core/manifest'
import type { ModelManifest } from '../../engine/core/manifest'
import { deckConfig, requestKey } from './engine-client'

export interface BakedIndex {
  /** requestKey → { file (relative to baked/), modelHash } */
  entries: Record<string, { file: string, modelHash: string }>
}

let index: Promise<BakedIndex | null> | null = null
const hashes = new Map<string, Promise<string | null>>()

async function fetchJson<T>(url: string): Promise<T | null> {
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

function currentModelHash(model: string): Promise<string | null> {
  let hash = hashes.get(model)
  if (!hash) {
    hash = fetchJson<ModelManifest>(`${deckConfig().modelsBaseUrl}${model}/manifest.json`)
      .then(m => m ? modelHash(m) : null)
    hashes.set(model, hash)
  }
  return hash
}

/** The recorded response for this request, or null (none, or baked with other weights). */
export async function findBaked(request: AttributionRequest): Promise<AttributionResponse | null> {
  index ??= fetchJson<BakedIndex>(`${import.meta.env.BASE_URL}baked/index.json`)
  const entry = (await index)?.entries[requestKey(request)]
  if (!entry)
    return null
  const hash = await currentModelHash(request.model)
  if (!hash || hash !== entry.modelHash)
    return null
  return fetchJson<AttributionResponse>(`${import.meta.env.BASE_URL}baked/${entry.file}`)
}
