import type { ModelFiles } from '../core/files'
import type { HubCache, HubLoadEvent, HubModel } from './hub'
import type { HubLock } from './hub-config'
/**
 * Where a model named by the deck comes from, in this order:
 *   1. `public/models/<name>/` when it is served (a real `config.json`, not the SPA's HTML);
 *   2. otherwise, for a model the hub fallback knows (distilgpt2), the Hugging Face hub at
 *      the committed revision (or the commits of `models.lock.json`), through `hub.ts`;
 *   3. otherwise (offline build, or the hub unreachable) a `missing-model` error that
 *      names the command preparing an offline talk: `npm run models`.
 */
import { AttributionError } from '../core/errors'
import { httpFiles } from '../core/files'
import { hubModel, sharedHubCache } from './hub'
import { HUB_MODELS } from './hub-config'

export interface LocateOptions {
  /** URL prefix of `public/models/` (with a trailing slash). */
  modelsBaseUrl: string
  /** Forbid the hub (`VITE_OFFLINE=1`). */
  offline: boolean
  hubUrl?: string
  lock?: HubLock | null
  /** Default: the worker's Cache Storage (`sharedHubCache()`). */
  cache?: HubCache | null
  fetch?: typeof fetch
  onLoad?: (event: HubLoadEvent) => void
}

/** A located model: local files, or the hub (then `hub` is set and `files` is it). */
export interface LocatedModel {
  name: string
  files: ModelFiles
  root: string
  hub?: HubModel
}

/**
 * Finds a model for the browser: local folder first, then the hub, else `missing-model`.
 *
 * @example
 * const loc = await locateModel('distilgpt2', { modelsBaseUrl: 'http://127.0.0.1:4173/models/', offline: false })
 * loc.hub ? 'from the hub' : 'from public/models/'
 */
export async function locateModel(name: string, options: LocateOptions): Promise<LocatedModel> {
  const base = options.modelsBaseUrl.endsWith('/') ? options.modelsBaseUrl : `${options.modelsBaseUrl}/`
  const local = httpFiles(`${base}${name}/`, options.fetch)
  const spec = HUB_MODELS[name]
  // Names the hub does not know keep the plain local behaviour (and its error messages).
  if (!spec || await local.exists('config.json') || await local.exists('manifest.json'))
    return { name, files: local, root: base }
  if (options.offline) {
    throw new AttributionError('missing-model', `${name} is not in ${base}${name}/ and this deck is built offline (VITE_OFFLINE=1), so it does not download it from the Hugging Face hub. Run \`npm run models\` once (it needs the internet), then reload.`)
  }
  const hub = hubModel(spec, {
    hubUrl: options.hubUrl,
    lock: options.lock,
    cache: options.cache !== undefined ? options.cache : await sharedHubCache(),
    fetch: options.fetch,
    onLoad: options.onLoad,
  })
  // The small config.json both proves the hub is reachable and is needed next anyway.
  await hub.readText('config.json')
  return { name, files: hub, root: hub.location, hub }
}
