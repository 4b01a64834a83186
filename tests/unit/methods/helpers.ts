import type { MaskForward } from '../../../engine/core/types'
/** Shared test helpers: the read-only reference folder and small exact models. */
import { existsSync, readFileSync } from 'node:fs'
import { maskKey } from '../../../engine/core/batching'
import { haveShared, SHARED_DIR, sharedPath } from '../../shared-reference'

/** `/work/shared` seen from the repo root (`../shared`). */
export const sharedDir = SHARED_DIR
export const bowReferencePath = sharedPath('captum-reference', 'bow', 'reference.json')
export const gpt2ReferencePath = sharedPath('captum-reference', 'gpt2-tiny', 'reference.json')
/** Whether each reference is there (throws under REQUIRE_CAPTUM_REFERENCE=1 when not). */
export const haveBowReference = (): boolean => haveShared('captum-reference/bow/reference.json')
export const haveGpt2Reference = (): boolean => haveShared('captum-reference/gpt2-tiny/reference.json')

export function readJson(p: string): any {
  return JSON.parse(readFileSync(p, 'utf8'))
}

export { existsSync }

/** A MaskForward that answers from a table of recorded outputs (throws on a mask it lacks). */
export function lookupForward(table: Map<string, number[]>): MaskForward & { calls: number } {
  const fn = (async (masks: Uint8Array[]) => {
    fn.calls++
    return masks.map((m) => {
      const v = table.get(maskKey(m))
      if (!v)
        throw new Error(`no recorded output for mask ${maskKey(m)}`)
      return v
    })
  }) as MaskForward & { calls: number }
  fn.calls = 0
  return fn
}

/** A MaskForward from a function of one mask. */
export function maskForward(f: (m: Uint8Array) => number[]): MaskForward & { rows: number, calls: number } {
  const fn = (async (masks: Uint8Array[]) => {
    fn.calls++
    fn.rows += masks.length
    return masks.map(f)
  }) as MaskForward & { rows: number, calls: number }
  fn.rows = 0
  fn.calls = 0
  return fn
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}
