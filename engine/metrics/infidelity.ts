import type { RunControl, ScalarForward } from '../core/types'
/**
 * Captum's `infidelity` (normalize=False by default):
 *   mean_i ( Σ_j I_ij·A_j − (f(x) − f(x_i)) )²
 * over `nPerturbSamples` perturbations (I_i, x_i) = perturbFunc(x). With `normalize`,
 * Σ I·A is first scaled by β = E[(I·A)·Δf] / E[(I·A)²] (Captum's optimal scaling).
 */
import { AttributionError, throwIfAborted } from '../core/errors'
import { Rng } from '../core/rng'

/** A perturbation: I (the perturbation used in the dot product) and the perturbed input. */
export type PerturbFunc = (x: Float64Array, rng: Rng, sample: number) => { I: Float64Array, xPerturbed: Float64Array }

export interface InfidelityOptions {
  /** Captum default 10. */
  nPerturbSamples?: number
  /** Captum default false. */
  normalize?: boolean
  seed?: number
}

/**
 * Gaussian perturbation consistent with the definition: I ~ N(0, std²), x_i = x − I.
 *
 * @example
 * infidelity(f, x, attr, gaussianPerturbation(0.01))
 */
export function gaussianPerturbation(std: number): PerturbFunc {
  return (x, rng) => {
    const I = x.map(() => rng.normal(0, std))
    return { I, xPerturbed: x.map((v, e) => v - I[e]!) }
  }
}

/**
 * Infidelity of an explanation `attributions` ([nDims]) of f at x.
 *
 * @example
 * // f(x) = w·x, A = w, x_i = x − I  ⇒  infidelity = 0
 * await infidelity(async xs => xs.map(v => dot(w, v)), x, w, gaussianPerturbation(0.01)) // 0
 */
export async function infidelity(
  forward: ScalarForward,
  x: Float64Array,
  attributions: ArrayLike<number>,
  perturbFunc: PerturbFunc,
  opts: InfidelityOptions = {},
  control?: RunControl,
): Promise<number> {
  const n = opts.nPerturbSamples ?? 10
  if (!Number.isInteger(n) || n < 1)
    throw new AttributionError('bad-request', `nPerturbSamples must be a positive integer (got ${n}).`)
  if (attributions.length !== x.length)
    throw new AttributionError('bad-request', `The attribution has ${attributions.length} entries, the input ${x.length}.`)
  throwIfAborted(control?.signal)
  const rng = new Rng(opts.seed ?? 0)
  const perts = Array.from({ length: n }, (_, i) => perturbFunc(x, rng, i))
  const outs = await forward([x, ...perts.map(p => p.xPerturbed)])
  if (outs.length !== n + 1 || outs.some(v => !Number.isFinite(v)))
    throw new AttributionError('backend', 'The model returned a non-finite or missing output.')
  control?.onProgress?.({ done: n + 1, total: n + 1, phase: 'infidelity' })
  const fx = outs[0]!
  const ia = perts.map((p) => {
    let s = 0
    for (let e = 0; e < x.length; e++) s += p.I[e]! * attributions[e]!
    return s
  })
  const df = outs.slice(1).map(v => fx - v)
  let beta = 1
  if (opts.normalize) {
    let num = 0
    let den = 0
    for (let i = 0; i < n; i++) {
      num += ia[i]! * df[i]!
      den += ia[i]! * ia[i]!
    }
    // Captum's safe_div: 0 denominator → divide by 1.
    beta = den === 0 ? num : num / den
  }
  let acc = 0
  for (let i = 0; i < n; i++) acc += (beta * ia[i]! - df[i]!) ** 2
  return acc / n
}
