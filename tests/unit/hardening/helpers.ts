import type { AttributionRequest } from '../../../engine/api'
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expect } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { writeGpt2Folder } from '../../../scripts/fixtures/gpt2-folder'
import { TINY } from '../../../scripts/fixtures/gpt2-weights'

/** The repo root (tests/unit/hardening → ../../..). */
export const REPO_ROOT = resolve(__dirname, '../../..')
/** Our BoW model folder (produced by `npm run train:bow` / `import-bow`). */
export const BOW_DIR = join(REPO_ROOT, 'public', 'models', 'bow')
export const HAS_BOW = existsSync(join(BOW_DIR, 'bow.json'))
export const SKIP_BOW_MSG = `(skipped: ${BOW_DIR}/bow.json is absent; run npm run train:bow)`

export const PROMPT = 'Dave lives in Palm Coast, FL and is a lawyer. His personal interests include'
export const TARGET = ' playing golf, hiking, and cooking.'

/**
 * Our tiny GPT-2 (random seeded weights, the real GPT-2 tokenizer) in a fresh temp folder:
 * generated, not read from fixtures/ (gitignored), so the tests run on a clean checkout.
 */
export async function makeTinyFixture(): Promise<{ root: string, dir: string, cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'hardening-'))
  const dir = join(root, 'tiny-gpt2')
  await writeGpt2Folder(dir, TINY)
  return { root, dir, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

/** A copy of a model folder under `root/name`, to break on purpose. */
export function copyModel(from: string, root: string, name: string): string {
  const to = join(root, name)
  cpSync(from, to, { recursive: true })
  return to
}

/** An LLM request on the Palm Coast prompt, with overrides. */
export function llmRequest(model: string, extra: Partial<AttributionRequest> = {}): AttributionRequest {
  return { model, method: 'FeatureAblation', input: { type: 'text', text: PROMPT }, target: TARGET, ...extra }
}

/**
 * The error a promise rejects with: it must be an `AttributionError` with a one-line
 * message; returns its code ('no error' when it resolves).
 */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  }
  catch (e) {
    expect(e, String(e)).toBeInstanceOf(AttributionError)
    const message = (e as Error).message
    expect(message.length).toBeGreaterThan(10)
    expect(message).not.toMatch(/\n/)
    expect(message).not.toMatch(/NaN/)
    return (e as AttributionError).code
  }
  return 'no error'
}

/** Every number finite (attributions are never NaN). */
export function allFinite(xs: Array<number | number[]> | null | undefined): boolean {
  return (xs ?? []).flat().every(x => Number.isFinite(x))
}
