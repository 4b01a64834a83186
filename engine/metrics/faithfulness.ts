import type { MaskForward, RunControl } from '../core/types'
/**
 * Token-level faithfulness through the same batched `MaskForward` as the perturbation
 * methods: deletion and insertion curves with AOPC, against a seeded random-order
 * baseline.
 *
 * - Deletion: start from every feature present and remove features in decreasing
 *   attribution order; curve[k] = f(top-k removed), k = 0…M.
 *   AOPC = 1/(M+1) Σ_k (f(all) − curve[k]) (higher = more faithful).
 * - Insertion: start from none present and add features in decreasing order;
 *   curve[k] = f(top-k present). AOPC = 1/(M+1) Σ_k (curve[k] − f(none)).
 * - AUC: trapezoid of the curve over the fraction k/M ∈ [0, 1].
 * Ties in the attribution keep feature order (stable sort).
 */
import { MaskEvaluator } from '../core/batching'
import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'

export interface CurveOptions {
  /** Output column to follow (0 = the summed target log-prob in the LLM layout). */
  outputIndex?: number
  perturbationsPerEval?: number
  /** Random orders averaged for the baseline curve (default 5; 0 = none). */
  nRandom?: number
  seed?: number
}

export interface CurveResult {
  /** Features in the order they are removed/inserted. */
  order: number[]
  /** [M + 1] */
  curve: number[]
  aopc: number
  auc: number
  /** [M + 1] mean over the random orders (empty when nRandom = 0). */
  randomCurve: number[]
  randomAopc: number | null
  randomAuc: number | null
  evaluations: number
  forwardCalls: number
}

/**
 * Feature indices by decreasing attribution (stable for ties).
 *
 * @example
 * rankFeatures([0.1, 0.5, 0.1]) // [1, 0, 2]
 */
export function rankFeatures(attributions: ArrayLike<number>): number[] {
  return Array.from({ length: attributions.length }, (_, j) => j)
    .sort((a, b) => (attributions[b]! - attributions[a]!) || a - b)
}

function trapezoidAuc(curve: number[]): number {
  const M = curve.length - 1
  if (M === 0)
    return curve[0]!
  let s = 0
  for (let k = 0; k < M; k++) s += (curve[k]! + curve[k + 1]!) / 2
  return s / M
}

async function runCurve(kind: 'deletion' | 'insertion', forward: MaskForward, attributions: ArrayLike<number>, opts: CurveOptions, control?: RunControl): Promise<CurveResult> {
  const M = attributions.length
  if (M === 0)
    throw new AttributionError('empty-input', 'There are no features to delete or insert.')
  for (let j = 0; j < M; j++) {
    if (!Number.isFinite(attributions[j]!))
      throw new AttributionError('bad-request', 'The attribution contains a non-finite value.')
  }
  const o = opts.outputIndex ?? 0
  const nRandom = opts.nRandom ?? 5
  const rng = new Rng(opts.seed ?? 0)
  const orders = [rankFeatures(attributions), ...Array.from({ length: nRandom }, () => rng.permutation(M))]
  const start = kind === 'deletion' ? 1 : 0
  const masks: Uint8Array[] = []
  for (const ord of orders) {
    const m = new Uint8Array(M).fill(start)
    masks.push(m.slice())
    for (const j of ord) {
      m[j] = 1 - start
      masks.push(m.slice())
    }
  }
  const ev = new MaskEvaluator(forward, { nFeatures: M, perturbationsPerEval: opts.perturbationsPerEval, control, phase: kind })
  const outs = await ev.evaluate(masks)
  if (o < 0 || o >= outs[0]!.length)
    throw new AttributionError('bad-request', `outputIndex ${o} is out of range.`)
  const curves = orders.map((_, r) => outs.slice(r * (M + 1), (r + 1) * (M + 1)).map(row => row[o]!))
  const aopcOf = (c: number[]) => {
    const ref = c[0]!
    let s = 0
    for (const v of c) s += kind === 'deletion' ? ref - v : v - ref
    return s / (M + 1)
  }
  const curve = curves[0]!
  const randomCurve = nRandom > 0
    ? Array.from({ length: M + 1 }, (_, k) => curves.slice(1).reduce((a, c) => a + c[k]!, 0) / nRandom)
    : []
  return {
    order: orders[0]!,
    curve,
    aopc: aopcOf(curve),
    auc: trapezoidAuc(curve),
    randomCurve,
    randomAopc: nRandom > 0 ? aopcOf(randomCurve) : null,
    randomAuc: nRandom > 0 ? trapezoidAuc(randomCurve) : null,
    evaluations: ev.rows,
    forwardCalls: ev.forwardCalls,
  }
}

/**
 * Deletion curve of an attribution ([nFeatures]) through a MaskForward.
 *
 * @example
 * const r = await deletionCurve(forward, seqAttr, { outputIndex: 0, nRandom: 5, seed: 1 })
 * r.aopc > r.randomAopc! // a faithful attribution beats random deletion
 */
export function deletionCurve(forward: MaskForward, attributions: ArrayLike<number>, opts: CurveOptions = {}, control?: RunControl): Promise<CurveResult> {
  return runCurve('deletion', forward, attributions, opts, control)
}

/**
 * Insertion curve of an attribution ([nFeatures]) through a MaskForward.
 *
 * @example
 * const r = await insertionCurve(forward, seqAttr, { nRandom: 5, seed: 1 })
 */
export function insertionCurve(forward: MaskForward, attributions: ArrayLike<number>, opts: CurveOptions = {}, control?: RunControl): Promise<CurveResult> {
  return runCurve('insertion', forward, attributions, opts, control)
}
