import type { MaskForward, RunControl } from '../core/types'
import type { PerturbationOptions, SurrogateResult } from './common'
import type { CoalitionLike } from './surrogate'
/**
 * Captum's Lime with its defaults: coalitions with each feature kept with probability ½
 * (no forced all-on/all-off sample), similarity weight exp(−d²/(2·width²)) with
 * d = 1 − cos, and sklearn `Lasso(alpha=0.01)` (intercept, sample weights) as the
 * interpretable model; attributions = the Lasso coefficients.
 *
 * Where the cosine is taken is the caller's business: Captum's LLMAttribution compares the
 * interpretable vectors (cos(ones, mask), `binaryCosineSimilarity`, the default here); the
 * BoW model compares the original 4860-dim count vectors, so its adapter passes
 * `similarity`.
 */
import { AttributionError } from '../core/errors'
import { lasso, weightedLinearRegression } from '../core/linear-models'
import { Rng } from '../core/rng'
import { checkFeatures, positiveInt } from './common'
import { fitSurrogate, toMasks } from './surrogate'

export interface LimeOptions extends PerturbationOptions {
  /** Coalitions to draw (Captum default 50). */
  nSamples?: number
  /** Lasso alpha (Captum's `SkLearnLasso(alpha=0.01)`). */
  alpha?: number
  /** 'lasso' (default, Captum's Lime) or 'linear_regression' (sklearn LinearRegression). */
  interpretableModel?: 'lasso' | 'linear_regression'
  /** Seed of the Bernoulli draws (default 0). */
  seed?: number
  /** Kernel width of the exponential kernel (Captum default 1.0). */
  kernelWidth?: number
  /**
   * Sample weight of a coalition (Captum's `similarity_func`: the weight itself, not the
   * cosine). Default: `limeSimilarity(binaryCosineSimilarity(mask), kernelWidth)`.
   */
  similarity?: (mask: Uint8Array) => number
  /** Pre-drawn coalitions (e.g. Captum's recorded `torch.bernoulli` draws); overrides nSamples/seed. */
  coalitions?: CoalitionLike[]
  /** Pre-computed sample weights for the coalitions (e.g. recorded similarities). */
  weights?: number[]
  /** Lasso iterations / tolerance (sklearn defaults 1000 / 1e-4). */
  maxIter?: number
  tol?: number
}

/**
 * cos(ones, mask) = √(|mask| / M), with 0 for the empty mask (torch's CosineSimilarity
 * with eps 1e-8 gives 0 there).
 *
 * @example
 * binaryCosineSimilarity(Uint8Array.of(1, 1, 0, 0)) // 0.7071…
 */
export function binaryCosineSimilarity(mask: Uint8Array): number {
  let k = 0
  for (let i = 0; i < mask.length; i++) k += mask[i] ? 1 : 0
  return k === 0 ? 0 : Math.sqrt(k / mask.length)
}

/**
 * Captum's `get_exp_kernel_similarity_function('cosine', kernelWidth)` given the cosine:
 * exp(−(1 − cos)² / (2·width²)).
 *
 * @example
 * limeSimilarity(0) // e^−0.5 = 0.6065…
 */
export function limeSimilarity(cosine: number, kernelWidth = 1): number {
  const d = 1 - cosine
  return Math.exp(-(d * d) / (2 * kernelWidth * kernelWidth))
}

/**
 * Lime over binary masks.
 *
 * @example
 * const lime = new Lime(async masks => masks.map(m => [m[0] - m[1]]))
 * const { attributions } = await lime.attribute({ nFeatures: 2, nSamples: 200, seed: 3, alpha: 0 }) // ≈ [[1, -1]]
 */
export class Lime {
  constructor(private readonly forward: MaskForward) {}

  async attribute(opts: LimeOptions, control?: RunControl): Promise<SurrogateResult> {
    const M = opts.nFeatures
    checkFeatures(M)
    let masks: Uint8Array[]
    if (opts.coalitions) {
      masks = toMasks(opts.coalitions, M)
    }
    else {
      const n = positiveInt(opts.nSamples, 50, 'nSamples')
      const rng = new Rng(opts.seed ?? 0)
      // Sample-major, feature-minor, like torch.bernoulli on a [1, M] tensor per sample.
      masks = Array.from({ length: n }, () => {
        const m = new Uint8Array(M)
        for (let j = 0; j < M; j++) m[j] = rng.bernoulli(0.5)
        return m
      })
    }
    const width = opts.kernelWidth ?? 1
    const simFn = opts.similarity ?? ((m: Uint8Array) => limeSimilarity(binaryCosineSimilarity(m), width))
    const weights = opts.weights ? [...opts.weights] : masks.map(simFn)
    const alpha = opts.alpha ?? 0.01
    const model = opts.interpretableModel ?? 'lasso'
    if (model !== 'lasso' && model !== 'linear_regression')
      throw new AttributionError('bad-request', `Unknown interpretable model "${model}".`)
    const fit = model === 'lasso'
      ? (X: Uint8Array[], y: number[], w: number[]) => lasso(X, y, w, { alpha, maxIter: opts.maxIter, tol: opts.tol })
      : (X: Uint8Array[], y: number[], w: number[]) => weightedLinearRegression(X, y, w)
    return fitSurrogate(this.forward, M, masks, weights, fit, { perturbationsPerEval: opts.perturbationsPerEval, phase: 'Lime' }, control)
  }
}
