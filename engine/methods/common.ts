import type { GradientFn, RunControl, ScalarForward } from '../core/types'
/**
 * Types and small helpers shared by the method modules. Perturbation methods work on
 * binary masks over `nFeatures` interpretable features through a batched `MaskForward`;
 * gradient methods work on one continuous input row through a `GradientFn`.
 */
import { AttributionError } from '../core/errors'

/** Options every perturbation method accepts. */
export interface PerturbationOptions {
  /** Number of interpretable features (Captum's feature-mask groups / LLM tokens). */
  nFeatures: number
  /**
   * Masks per forward call (Captum's `perturbations_per_eval`). Only batches the calls:
   * results are bitwise identical for any value. Default 64.
   */
  perturbationsPerEval?: number
}

/** What every perturbation method returns. */
export interface PerturbationResult {
  /** [nOutputs][nFeatures]: attribution of output column o to feature j. */
  attributions: number[][]
  /** Distinct masks the model evaluated (rows); duplicates are evaluated once. */
  evaluations: number
  /** Batched forward calls made. */
  forwardCalls: number
}

/** Lime / KernelShap also return the surrogate fit and the samples they drew. */
export interface SurrogateResult extends PerturbationResult {
  /** [nOutputs]: the surrogate's intercept per output column. */
  intercepts: number[]
  /** [nSamples][nFeatures]: the coalitions, in draw order (duplicates kept). */
  coalitions: Uint8Array[]
  /** [nSamples]: the sample weights given to the surrogate. */
  weights: number[]
  /** [nSamples][nOutputs]: the model output of every sample. */
  outputs: number[][]
}

/** Result of a gradient method on one input row. */
export interface GradientResult {
  /** [nDims] */
  attributions: Float64Array
  /**
   * Captum's signed convergence delta Σattr − (f(x) − f(baseline)), where the method
   * defines one (IntegratedGradients, DeepLift, LayerIntegratedGradients with a forward).
   */
  delta?: number
  /** GradientShap / NoiseTunnel: one delta per sample. */
  deltas?: number[]
  /** Rows sent to the gradient / forward functions. */
  evaluations: number
  forwardCalls: number
}

/** Options of a gradient method: the input row and (for path methods) its baseline. */
export interface GradientInputOptions {
  /** [nDims] the input x. */
  inputs: Float64Array
  /** [nDims] or a scalar broadcast to every dim; Captum's default is 0. */
  baselines?: Float64Array | number
}

/** A method NoiseTunnel can wrap: any attribute() that takes `inputs`. */
export interface InputAttributionMethod<O extends GradientInputOptions = GradientInputOptions> {
  attribute: (opts: O, control?: RunControl) => Promise<GradientResult>
}

/**
 * Checks `nFeatures`.
 *
 * @example
 * checkFeatures(3) // ok; checkFeatures(0) throws AttributionError('empty-input')
 */
export function checkFeatures(nFeatures: number): void {
  if (!Number.isInteger(nFeatures) || nFeatures < 1)
    throw new AttributionError('empty-input', 'There are no features to attribute to.')
}

/**
 * Checks a sample count option (nSamples, nSteps, …): a positive integer.
 *
 * @example
 * positiveInt(undefined, 25, 'nSamples') // 25
 */
export function positiveInt(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < 1)
    throw new AttributionError('bad-request', `${name} must be a positive integer (got ${value}).`)
  return v
}

/**
 * A mask with every feature on (1) or off (0).
 *
 * @example
 * filledMask(3, 1) // Uint8Array [1, 1, 1]
 */
export function filledMask(n: number, value: 0 | 1): Uint8Array {
  return new Uint8Array(n).fill(value)
}

/**
 * Resolves a baseline option to a row of the input's length.
 *
 * @example
 * resolveBaseline(Float64Array.of(1, 2), undefined) // Float64Array [0, 0]
 */
export function resolveBaseline(x: Float64Array, b: Float64Array | number | undefined): Float64Array {
  if (b === undefined || typeof b === 'number')
    return new Float64Array(x.length).fill(b ?? 0)
  if (b.length !== x.length)
    throw new AttributionError('bad-request', `The baseline has ${b.length} entries, the input ${x.length}.`)
  return b
}

/**
 * Checks an input row is non-empty and finite.
 *
 * @example
 * checkInput(Float64Array.of(1, 2)) // ok
 */
export function checkInput(x: Float64Array): void {
  if (x.length === 0)
    throw new AttributionError('empty-input', 'The input is empty.')
  for (const v of x) {
    if (!Number.isFinite(v))
      throw new AttributionError('bad-request', 'The input contains a non-finite value.')
  }
}

/**
 * Checks a gradient function's answer: one scalar and one finite gradient row per input row.
 *
 * @example
 * checkGradients(await grad(rows), rows.length, rows[0].length)
 */
export function checkGradients(res: Awaited<ReturnType<GradientFn>>, nRows: number, nDims: number): void {
  if (res.grads.length !== nRows || res.outputs.length !== nRows)
    throw new AttributionError('backend', `The gradient function returned ${res.grads.length} rows for ${nRows} inputs.`)
  for (let r = 0; r < nRows; r++) {
    const g = res.grads[r]!
    if (g.length !== nDims)
      throw new AttributionError('backend', `A gradient row has ${g.length} entries, expected ${nDims}.`)
    if (!Number.isFinite(res.outputs[r]!))
      throw new AttributionError('backend', 'The model returned a non-finite output (NaN or ∞).')
    for (const v of g) {
      if (!Number.isFinite(v))
        throw new AttributionError('backend', 'The model returned a non-finite gradient (NaN or ∞).')
    }
  }
}

/**
 * f(x) and f(baseline) for a convergence delta: through the scalar forward when there is
 * one (no backward pass), else through the gradient function's outputs.
 *
 * @example
 * const [fx, fb] = await outputsAt([x, b], grad, forward)
 */
export async function outputsAt(rows: Float64Array[], grad: GradientFn, forward?: ScalarForward): Promise<number[]> {
  const out = forward ? await forward(rows) : (await grad(rows)).outputs
  if (out.length !== rows.length || out.some(v => !Number.isFinite(v)))
    throw new AttributionError('backend', 'The model returned a non-finite or missing output.')
  return out
}

/**
 * Σ of a row.
 *
 * @example
 * sum(Float64Array.of(1, 2)) // 3
 */
export function sum(a: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]!
  return s
}
