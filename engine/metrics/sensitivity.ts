import type { RunControl } from '../core/types'
/**
 * Captum's `sensitivity_max` with its defaults: each of `nPerturbSamples` inputs is
 * x + U(−r, r) per entry (r = 0.02); the explanation is recomputed on it, and the value is
 * max_i ‖A(x) − A(x_i)‖_F / ‖A(x)‖_F, where a zero ‖A(x)‖ is replaced by 1.
 */
import { AttributionError, throwIfAborted } from '../core/errors'
import { Rng } from '../core/rng'

export interface SensitivityOptions {
  /** Captum default 0.02. */
  perturbRadius?: number
  /** Captum default 10. */
  nPerturbSamples?: number
  seed?: number
  /** Pre-drawn perturbed inputs (e.g. Captum's recorded ones); overrides radius/seed. */
  perturbedInputs?: Float64Array[]
}

/**
 * sensitivity_max of `explain` at x.
 *
 * @example
 * // IG of a linear model with zero baseline: A(x) = x ⊙ w
 * await sensitivityMax(async x => x.map((v, i) => v * w[i]), x, { seed: 1 })
 */
export async function sensitivityMax(
  explain: (x: Float64Array) => Promise<ArrayLike<number>>,
  x: Float64Array,
  opts: SensitivityOptions = {},
  control?: RunControl,
): Promise<number> {
  const r = opts.perturbRadius ?? 0.02
  let perturbed = opts.perturbedInputs
  if (!perturbed) {
    const n = opts.nPerturbSamples ?? 10
    if (!Number.isInteger(n) || n < 1)
      throw new AttributionError('bad-request', `nPerturbSamples must be a positive integer (got ${n}).`)
    const rng = new Rng(opts.seed ?? 0)
    perturbed = Array.from({ length: n }, () => x.map(v => v + rng.uniformRange(-r, r)))
  }
  const total = perturbed.length + 1
  throwIfAborted(control?.signal)
  const a0 = await explain(x)
  control?.onProgress?.({ done: 1, total, phase: 'sensitivity' })
  let norm0 = 0
  for (let e = 0; e < a0.length; e++) norm0 += a0[e]! * a0[e]!
  norm0 = Math.sqrt(norm0)
  if (norm0 === 0)
    norm0 = 1
  let best = 0
  for (let i = 0; i < perturbed.length; i++) {
    throwIfAborted(control?.signal)
    const ai = await explain(perturbed[i]!)
    if (ai.length !== a0.length)
      throw new AttributionError('backend', 'The explanation changed length under perturbation.')
    let d = 0
    for (let e = 0; e < a0.length; e++) d += (ai[e]! - a0[e]!) ** 2
    const s = Math.sqrt(d) / norm0
    if (!Number.isFinite(s))
      throw new AttributionError('backend', 'The explanation is non-finite.')
    best = Math.max(best, s)
    control?.onProgress?.({ done: i + 2, total, phase: 'sensitivity' })
  }
  return best
}
