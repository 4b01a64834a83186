import type { MaskForward, RunControl } from '../core/types'
import type { PerturbationOptions, SurrogateResult } from './common'
import type { CoalitionLike } from './surrogate'
/**
 * Captum's KernelShap: Lime with sklearn `LinearRegression` and the Shapley kernel moved
 * into the sampling. Sample 0 is all-on and sample 1 all-off (both count toward nSamples,
 * weight 1e6 each); every further sample draws a size k ~ p(k) ∝ (M−1)/(k(M−k)),
 * k = 1…M−1, and switches on the k features with the largest standard-normal draws
 * (weight 1). Duplicate coalitions are kept (and weighted) but evaluated once.
 */
import { AttributionError } from '../core/errors'
import { weightedLinearRegression } from '../core/linear-models'
import { Rng } from '../core/rng'
import { checkFeatures, filledMask, positiveInt } from './common'
import { fitSurrogate, toMasks } from './surrogate'

/** Captum's `inf_weight` for the all-on / all-off coalitions. */
export const KERNEL_SHAP_INF_WEIGHT = 1e6

export interface KernelShapOptions extends PerturbationOptions {
  /** Coalitions including the first two (Captum default 25). */
  nSamples?: number
  /** Seed of the size and normal draws (default 0). */
  seed?: number
  /** Pre-drawn coalitions (e.g. Captum's recorded draws); overrides nSamples/seed. */
  coalitions?: CoalitionLike[]
  /** Pre-computed sample weights (default: 1e6 for 0 or M features on, else 1). */
  weights?: number[]
}

/**
 * KernelShap's sample weight: 1e6 when no or every feature is on, else 1.
 *
 * @example
 * kernelShapWeight(Uint8Array.of(1, 1)) // 1e6
 */
export function kernelShapWeight(mask: Uint8Array): number {
  let k = 0
  for (let i = 0; i < mask.length; i++) k += mask[i] ? 1 : 0
  return k === 0 || k === mask.length ? KERNEL_SHAP_INF_WEIGHT : 1
}

/**
 * Draws KernelShap's coalitions in Captum's order (ones, zeros, then kernel-distributed).
 *
 * @example
 * kernelShapCoalitions(3, 4, new Rng(0)) // [[1,1,1], [0,0,0], …two more…]
 */
export function kernelShapCoalitions(M: number, nSamples: number, rng: Rng): Uint8Array[] {
  if (M < 2)
    throw new AttributionError('unsupported', 'KernelShap needs at least 2 features (Captum raises for a single feature).')
  // p(k) for k = 1…M−1 (index k−1).
  const p = Array.from({ length: M - 1 }, (_, i) => (M - 1) / ((i + 1) * (M - i - 1)))
  const out: Uint8Array[] = []
  for (let s = 0; s < nSamples; s++) {
    if (s === 0) {
      out.push(filledMask(M, 1))
      continue
    }
    if (s === 1) {
      out.push(filledMask(M, 0))
      continue
    }
    const k = 1 + rng.categorical(p)
    const z = Array.from({ length: M }, () => rng.normal())
    // The k largest normal draws are on (ties have probability 0; broken by index).
    const order = z.map((v, j) => j).sort((a, b) => z[b]! - z[a]! || a - b)
    const m = new Uint8Array(M)
    for (let i = 0; i < k; i++) m[order[i]!] = 1
    out.push(m)
  }
  return out
}

/**
 * KernelShap over binary masks.
 *
 * @example
 * const ks = new KernelShap(async masks => masks.map(m => [m[0] + 2 * m[1] + m[2]]))
 * const { attributions } = await ks.attribute({ nFeatures: 3, nSamples: 50, seed: 1 }) // [[1, 2, 1]] (linear ⇒ exact)
 */
export class KernelShap {
  constructor(private readonly forward: MaskForward) {}

  async attribute(opts: KernelShapOptions, control?: RunControl): Promise<SurrogateResult> {
    const M = opts.nFeatures
    checkFeatures(M)
    if (M < 2)
      throw new AttributionError('unsupported', 'KernelShap needs at least 2 features (Captum raises for a single feature).')
    const masks = opts.coalitions
      ? toMasks(opts.coalitions, M)
      : kernelShapCoalitions(M, positiveInt(opts.nSamples, 25, 'nSamples'), new Rng(opts.seed ?? 0))
    const weights = opts.weights ? [...opts.weights] : masks.map(kernelShapWeight)
    return fitSurrogate(this.forward, M, masks, weights, (X, y, w) => weightedLinearRegression(X, y, w), { perturbationsPerEval: opts.perturbationsPerEval, phase: 'KernelShap' }, control)
  }
}
