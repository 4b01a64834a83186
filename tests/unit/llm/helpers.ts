import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeGpt2Folder } from '../../../scripts/fixtures/gpt2-folder'
import { TINY } from '../../../scripts/fixtures/gpt2-weights'
import { haveShared, REPO_ROOT as ROOT, SHARED_DIR } from '../../shared-reference'

/** The repo root (tests/unit/llm → ../../..). */
export const REPO_ROOT = ROOT
/** Read-only reference material, next to the repo. */
export const SHARED = SHARED_DIR
export const GPT2_REF = join(SHARED, 'captum-reference', 'gpt2-tiny')
export const HAS_SHARED = haveShared('captum-reference/gpt2-tiny/reference.json')
export const SKIP_SHARED_MSG = `(skipped: ${GPT2_REF} is absent)`

/** Generates our tiny GPT-2 into a fresh temp folder; returns it and a cleanup. */
export async function makeTinyFixture(): Promise<{ dir: string, cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'llm-fixture-'))
  const dir = join(root, 'tiny-gpt2')
  await writeGpt2Folder(dir, TINY)
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    return Infinity
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
