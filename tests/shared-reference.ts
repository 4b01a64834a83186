/**
 * Where the tests find `../shared` (Captum 0.8's reference numbers, the course's
 * checkpoint and corpus): one place for the path and for what a missing file means.
 *
 * A clone without `../shared` skips the comparisons with a message. CI has it, and
 * `.ci/run` sets `REQUIRE_CAPTUM_REFERENCE=1`: there a missing file fails the test file
 * instead of skipping it, so a moved reference can never turn the comparisons off silently.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repo root. */
// Not `new URL('.', import.meta.url)`: Vite rewrites that pattern as an asset URL in a
// happy-dom test file (an http: URL), and fileURLToPath then throws.
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The shared folder: `SHARED_DIR` when set, else `<repo>/../shared`. */
export const SHARED_DIR = process.env.SHARED_DIR ? resolve(process.env.SHARED_DIR) : resolve(REPO_ROOT, '..', 'shared')

/** True when a missing reference must fail rather than skip (set by `.ci/run`). */
export const REFERENCE_REQUIRED = process.env.REQUIRE_CAPTUM_REFERENCE === '1'

/**
 * The absolute path of a file under the shared folder.
 *
 * @example
 * sharedPath('captum-reference/bow/reference.json')
 */
export function sharedPath(...parts: string[]): string {
  return join(SHARED_DIR, ...parts)
}

/**
 * Whether every one of `relPaths` exists under the shared folder. When one is missing it
 * says so once on stderr (the tests that need it skip), or throws when
 * `REQUIRE_CAPTUM_REFERENCE=1`, which fails the test file that asked.
 *
 * @example
 * const HAVE_BOW_REF = haveShared('captum-reference/bow/reference.json')
 * describe.skipIf(!HAVE_BOW_REF)('BoW vs Captum', () => { ... })
 */
export function haveShared(...relPaths: string[]): boolean {
  const missing = relPaths.filter(p => !existsSync(sharedPath(p)))
  if (missing.length === 0)
    return true
  const what = missing.map(p => sharedPath(p)).join(', ')
  if (REFERENCE_REQUIRED)
    throw new Error(`REQUIRE_CAPTUM_REFERENCE=1 but the shared reference is missing: ${what}`)
  console.warn(`[tests] skipping the Captum comparisons that need ${what} (not found; put ../shared beside the clone to run them)`)
  return false
}
