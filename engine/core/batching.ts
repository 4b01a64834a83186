import type { MaskForward, RunControl } from './types'
/**
 * The one place where perturbation rows meet the model: chunking by
 * `perturbationsPerEval`, de-duplication of identical masks, progress after every batch and
 * cancellation between batches. Every perturbation method and metric goes through
 * `MaskEvaluator`, so batching can never change a number (rows are evaluated
 * independently and in order; each distinct mask is evaluated exactly once per run
 * unless the forward declares `deterministic: false`, then every row is evaluated).
 */
import { AttributionError, throwIfAborted } from './errors'

/** Captum's default is 1; ours is large because rows are cheap to batch in the browser. */
export const DEFAULT_PERTURBATIONS_PER_EVAL = 64

/**
 * A compact string key for a binary mask (one char per feature), used for memoization.
 *
 * @example
 * maskKey(Uint8Array.from([1, 0, 1])) // '101'
 */
export function maskKey(mask: Uint8Array): string {
  let s = ''
  for (let i = 0; i < mask.length; i++)
    s += mask[i] ? '1' : '0'
  return s
}

/**
 * Checks `perturbationsPerEval` / `internalBatchSize` style options: a positive integer or
 * undefined (→ `fallback`).
 *
 * @example
 * batchSizeOption(undefined, 64, 'perturbationsPerEval') // 64
 */
export function batchSizeOption(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined)
    return fallback
  if (!Number.isInteger(value) || value < 1)
    throw new AttributionError('bad-request', `${name} must be a positive integer (got ${value}).`)
  return value
}

export interface MaskEvaluatorOptions {
  nFeatures: number
  perturbationsPerEval?: number
  control?: RunControl
  /** Shown on the slide's progress bar, e.g. "KernelShap". */
  phase?: string
}

/**
 * Evaluates binary masks through a `MaskForward`, memoized by mask, in chunks of
 * `perturbationsPerEval` rows, reporting progress and honouring cancellation.
 *
 * Counters: `rows` = masks sent to the model, `forwardCalls` = batched calls.
 * Memoization is off when `forward.deterministic === false` (a stochastic input such as
 * ProductBaselines): then every mask, repeats included, is a fresh row, as in Captum.
 *
 * @example
 * const ev = new MaskEvaluator(forward, { nFeatures: 3, perturbationsPerEval: 2 })
 * const outs = await ev.evaluate([Uint8Array.of(1, 1, 1), Uint8Array.of(0, 0, 0), Uint8Array.of(1, 1, 1)])
 * // outs[0] === outs[2] (same mask, evaluated once); ev.rows === 2, ev.forwardCalls === 1
 */
export class MaskEvaluator {
  readonly nFeatures: number
  readonly perturbationsPerEval: number
  rows = 0
  forwardCalls = 0
  private readonly cache = new Map<string, number[]>()
  private nOutputs: number | null = null
  /** False for a stochastic forward: every mask is evaluated, repeats included. */
  readonly memoize: boolean

  constructor(private readonly forward: MaskForward, private readonly opts: MaskEvaluatorOptions) {
    if (!Number.isInteger(opts.nFeatures) || opts.nFeatures < 1)
      throw new AttributionError('empty-input', 'There are no features to attribute to.')
    this.nFeatures = opts.nFeatures
    this.memoize = forward.deterministic !== false
    this.perturbationsPerEval = batchSizeOption(opts.perturbationsPerEval, DEFAULT_PERTURBATIONS_PER_EVAL, 'perturbationsPerEval')
  }

  /** Number of rows `evaluate(masks)` would send (distinct uncached masks, or all when not memoizing). */
  countNew(masks: Uint8Array[]): number {
    if (!this.memoize)
      return masks.length
    const seen = new Set<string>()
    for (const m of masks) {
      const k = maskKey(m)
      if (!this.cache.has(k))
        seen.add(k)
    }
    return seen.size
  }

  /**
   * Outputs for every mask, in order ([masks.length][nOutputs]). New distinct masks are
   * evaluated in first-appearance order, `perturbationsPerEval` rows per forward call.
   * Progress counts distinct rows: `done` of `total = already done + new ones`
   * (or `progressTotal` when the caller knows the whole run's total).
   */
  async evaluate(masks: Uint8Array[], progressTotal?: number): Promise<number[][]> {
    const control = this.opts.control
    throwIfAborted(control?.signal)
    const todo: Uint8Array[] = []
    const todoKeys: string[] = []
    const queued = new Set<string>()
    for (const m of masks) {
      if (m.length !== this.nFeatures)
        throw new AttributionError('bad-request', `A mask has ${m.length} entries, expected ${this.nFeatures}.`)
      if (!this.memoize) {
        todo.push(m)
        continue
      }
      const k = maskKey(m)
      if (!this.cache.has(k) && !queued.has(k)) {
        queued.add(k)
        todo.push(m)
        todoKeys.push(k)
      }
    }
    const total = progressTotal ?? this.rows + todo.length
    const fresh: number[][] = []
    for (let start = 0; start < todo.length; start += this.perturbationsPerEval) {
      if (start > 0)
        await yieldToEventLoop()
      throwIfAborted(control?.signal)
      const chunk = todo.slice(start, start + this.perturbationsPerEval)
      const outs = await this.forward(chunk)
      this.forwardCalls++
      if (!Array.isArray(outs) || outs.length !== chunk.length)
        throw new AttributionError('backend', `The model returned ${outs?.length} rows for ${chunk.length} inputs.`)
      for (let i = 0; i < chunk.length; i++) {
        const row = outs[i]!
        if (this.nOutputs === null)
          this.nOutputs = row.length
        if (row.length !== this.nOutputs || row.length === 0)
          throw new AttributionError('backend', `The model returned ${row.length} outputs for a row, expected ${this.nOutputs}.`)
        for (const v of row) {
          if (!Number.isFinite(v))
            throw new AttributionError('backend', 'The model returned a non-finite output (NaN or ∞).')
        }
        if (this.memoize)
          this.cache.set(todoKeys[start + i]!, Array.from(row))
        else
          fresh.push(Array.from(row))
      }
      this.rows += chunk.length
      control?.onProgress?.({ done: this.rows, total: Math.max(total, this.rows), phase: this.opts.phase })
    }
    throwIfAborted(control?.signal)
    if (!this.memoize)
      return fresh
    return masks.map(m => this.cache.get(maskKey(m))!)
  }
}

/**
 * A macrotask break: wasm kernels never yield, and promise continuations (microtasks)
 * do not let a worker's queued messages in, so without it a Cancel from the slide would
 * only be seen after the whole run.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0))
}

/**
 * Runs `fn` over `items` in chunks of `batchSize`, concatenating the results in order,
 * with progress after every chunk and cancellation between chunks. Used by the gradient
 * methods (`internalBatchSize`).
 *
 * @example
 * const sq = await inChunks([1, 2, 3], 2, async xs => xs.map(x => x * x)) // [1, 4, 9]
 */
export async function inChunks<T, R>(
  items: T[],
  batchSize: number,
  fn: (chunk: T[]) => Promise<R[]>,
  control?: RunControl,
  phase?: string,
  progress?: { offset: number, total: number },
): Promise<R[]> {
  const out: R[] = []
  const offset = progress?.offset ?? 0
  const total = progress?.total ?? items.length
  for (let start = 0; start < items.length; start += batchSize) {
    if (start > 0)
      await yieldToEventLoop()
    throwIfAborted(control?.signal)
    const chunk = items.slice(start, start + batchSize)
    const res = await fn(chunk)
    if (res.length !== chunk.length)
      throw new AttributionError('backend', `The model returned ${res.length} rows for ${chunk.length} inputs.`)
    out.push(...res)
    control?.onProgress?.({ done: offset + start + chunk.length, total, phase })
  }
  throwIfAborted(control?.signal)
  return out
}
