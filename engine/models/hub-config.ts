/**
 * The committed settings of the hub fallback: which hub repos stand behind a model name,
 * at which revision, and the Cache Storage name the browser keeps the files under.
 *
 * Revision: we cannot look up a commit hash from here, so the committed default is the
 * branch `main` (what `npm run models` also fetches on its first run). Whoever ran
 * `npm run models` has a `models.lock.json` with the commits it resolved and the sha256 of
 * every file; the deck passes that lock in (`WorkerConfig.hubLock`) and then downloads
 * exactly those commits and verifies every file against its sha256.
 */

import type { HubFileSpec } from './hub-files.mjs'
import { DISTILGPT2_HUB_FILES, XENOVA_DISTILGPT2 } from './hub-files.mjs'

/** Default hub host; `VITE_HUB_URL` overrides it (tests point it at a local stand-in). */
export const DEFAULT_HUB_URL = 'https://huggingface.co'

/** The revision used when no `models.lock.json` pins a commit. A branch, honestly named. */
export const DEFAULT_HUB_REVISION = 'main'

/** Every cache this deck ever created starts with this; older versions are deleted on startup. */
export const HUB_CACHE_PREFIX = 'explain-llm-live-models-'

/** Bump when the cached entry format changes: the old cache is then dropped, never misread. */
export const HUB_CACHE_VERSION = 1

/** The Cache Storage name of this version: `explain-llm-live-models-v1`. */
export const HUB_CACHE_NAME = `${HUB_CACHE_PREFIX}v${HUB_CACHE_VERSION}`

export type { HubFileSpec }

/** A model name the deck may fetch from the hub, with its files (same list as `npm run models`). */
export interface HubModelSpec {
  name: string
  /** The repo whose config/tokenizer/ONNX transformers.js loads (`from_pretrained(onnxRepo)`). */
  onnxRepo: string
  files: readonly HubFileSpec[]
}

/**
 * The models the hub fallback knows. Only distilgpt2: any other name (e.g. the test
 * fixture `tiny-gpt2`) must be present locally.
 */
export const HUB_MODELS: Readonly<Record<string, HubModelSpec>> = {
  distilgpt2: {
    name: 'distilgpt2',
    onnxRepo: XENOVA_DISTILGPT2,
    files: DISTILGPT2_HUB_FILES,
  },
}

/** The shape of `models.lock.json` written by `npm run models` (scripts/download-models.mjs). */
export interface HubLock {
  repos?: Record<string, { commit?: string }>
  files?: Record<string, { repo?: string, sha256?: string }>
}

/**
 * The revision to fetch `repo` at: the lock's commit when there is one, else `main`.
 *
 * @example
 * hubRevision('Xenova/distilgpt2', { repos: { 'Xenova/distilgpt2': { commit: 'abc123' } } }) // 'abc123'
 * hubRevision('Xenova/distilgpt2') // 'main'
 */
export function hubRevision(repo: string, lock?: HubLock | null): string {
  const commit = lock?.repos?.[repo]?.commit
  return commit && commit.length > 0 ? commit : DEFAULT_HUB_REVISION
}

/**
 * The sha256 the lock pins for a file of `repo`, if any (lower-case hex).
 *
 * @example
 * hubLockedSha256('config.json', 'Xenova/distilgpt2', lock) // '2f9f…' or null
 */
export function hubLockedSha256(path: string, repo: string, lock?: HubLock | null): string | null {
  const entry = lock?.files?.[path]
  if (!entry?.sha256 || (entry.repo && entry.repo !== repo))
    return null
  return /^[0-9a-f]{64}$/i.test(entry.sha256) ? entry.sha256.toLowerCase() : null
}
