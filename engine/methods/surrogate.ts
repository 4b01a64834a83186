import type { LinearFit } from '../core/linear-models'
import type { MaskForward, RunControl } from '../core/types'
import type { SurrogateResult } from './common'
/**
 * The shared half of Lime and KernelShap (Captum's LimeBase): evaluate the drawn
 * coalitions (memoized, batched), then fit an interpretable linear model per output
 * column on (binary coalition, output) with the sample weights; the attributions are the
 * coefficients without the intercept.
 */
import { MaskEvaluator } from '../core/batching'
import { AttributionError } from '../core/errors'

/** A coalition given by a test or a caller: a 0/1 array, or a bit string like "101". */
export type CoalitionLike = ArrayLike<number> | string

/**
 * Parses injected coalitions (bit j = feature j, as in the reference JSONs' strings).
 *
 * @example
 * toMasks(['10', [0, 1]], 2) // [Uint8Array [1, 0], Uint8Array [0, 1]]
 */
export function toMasks(coalitions: CoalitionLike[], M: number): Uint8Array[] {
  return coalitions.map((c) => {
    const m = new Uint8Array(M)
    if (c.length !== M)
      throw new AttributionError('bad-request', `A coalition has ${c.length} entries, expected ${M}.`)
    for (let j = 0; j < M; j++) {
      const v = typeof c === 'string' ? c[j] : (c as ArrayLike<number>)[j]
      if (v === '1' || v === 1)
        m[j] = 1
      else if (v !== '0' && v !== 0)
        throw new AttributionError('bad-request', 'A coalition entry is not 0 or 1.')
    }
    return m
  })
}

/**
 * Evaluates `coalitions` and fits `fit` to each output column.
 *
 * @example
 * const r = await fitSurrogate(forward, 3, masks, weights, (X, y, w) => weightedLinearRegression(X, y, w), { phase: 'KernelShap' })
 */
export async function fitSurrogate(
  forward: MaskForward,
  nFeatures: number,
  coalitions: Uint8Array[],
  weights: number[],
  fit: (X: Uint8Array[], y: number[], w: number[]) => LinearFit,
  opts: { perturbationsPerEval?: number, phase: string },
  control?: RunControl,
): Promise<SurrogateResult> {
  if (coalitions.length === 0)
    throw new AttributionError('bad-request', 'nSamples must be at least 1.')
  if (weights.length !== coalitions.length)
    throw new AttributionError('bad-request', `${weights.length} weights for ${coalitions.length} coalitions.`)
  const ev = new MaskEvaluator(forward, { nFeatures, perturbationsPerEval: opts.perturbationsPerEval, control, phase: opts.phase })
  const outputs = await ev.evaluate(coalitions) // [nSamples][nOutputs]
  const nOut = outputs[0]!.length
  const attributions: number[][] = []
  const intercepts: number[] = []
  for (let o = 0; o < nOut; o++) {
    const { coef, intercept } = fit(coalitions, outputs.map(r => r[o]!), weights)
    if (!coef.every(Number.isFinite) || !Number.isFinite(intercept))
      throw new AttributionError('backend', `The ${opts.phase} surrogate fit did not give finite coefficients.`)
    attributions.push(coef)
    intercepts.push(intercept)
  }
  return { attributions, intercepts, coalitions, weights, outputs, evaluations: ev.rows, forwardCalls: ev.forwardCalls }
}
