import type { MaskForward, RunControl } from '../core/types'
import type { PerturbationOptions, PerturbationResult } from './common'
/**
 * Captum's ShapleyValueSampling: `nSamples` random permutations; each starts from
 * all-absent and switches features on one at a time, crediting f(S ∪ {j}) − f(S) to j;
 * the credits are averaged over permutations. Every permutation telescopes, so
 * Σ_j attr_j = f(all) − f(none) for any draw. Captum evaluates 1 + nSamples·M rows
 * (all-absent once, then every permutation's M growing coalitions). For a deterministic
 * forward we evaluate each distinct coalition once (all-absent and all-present are
 * shared by every permutation), which does not change any value. A stochastic forward
 * (`deterministic: false`, e.g. ProductBaselines) is not memoized: every one of the
 * 1 + nSamples·M rows is evaluated, in Captum's order, each with a fresh draw — sharing
 * one draw across repeated coalitions would change the estimator's distribution.
 */
import { MaskEvaluator } from '../core/batching'
import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'
import { checkFeatures, filledMask, positiveInt } from './common'

export interface ShapleyValueSamplingOptions extends PerturbationOptions {
  /** Number of permutations (Captum default 25). */
  nSamples?: number
  /** Seed of the permutation draws (default 0). */
  seed?: number
  /**
   * Pre-drawn permutations (each a permutation of 0…M−1), used instead of the RNG —
   * e.g. Captum's recorded `torch.randperm` draws. Overrides nSamples.
   */
  permutations?: number[][]
}

export interface ShapleyValueSamplingResult extends PerturbationResult {
  /** The permutations used, in order. */
  permutations: number[][]
}

function checkPermutation(p: number[], M: number): void {
  const seen = new Uint8Array(M)
  if (p.length !== M)
    throw new AttributionError('bad-request', `A permutation has ${p.length} entries, expected ${M}.`)
  for (const j of p) {
    if (!Number.isInteger(j) || j < 0 || j >= M || seen[j])
      throw new AttributionError('bad-request', 'An injected permutation is not a permutation of the features.')
    seen[j] = 1
  }
}

/**
 * ShapleyValueSampling over binary masks.
 *
 * @example
 * const svs = new ShapleyValueSampling(async masks => masks.map(m => [m[0] + 2 * m[1]]))
 * const { attributions } = await svs.attribute({ nFeatures: 2, nSamples: 3, seed: 1 }) // [[1, 2]] (additive ⇒ exact)
 */
export class ShapleyValueSampling {
  constructor(private readonly forward: MaskForward) {}

  async attribute(opts: ShapleyValueSamplingOptions, control?: RunControl): Promise<ShapleyValueSamplingResult> {
    const M = opts.nFeatures
    checkFeatures(M)
    let permutations: number[][]
    if (opts.permutations) {
      if (opts.permutations.length === 0)
        throw new AttributionError('bad-request', 'No permutations were given.')
      opts.permutations.forEach(p => checkPermutation(p, M))
      permutations = opts.permutations.map(p => [...p])
    }
    else {
      const n = positiveInt(opts.nSamples, 25, 'nSamples')
      const rng = new Rng(opts.seed ?? 0)
      permutations = Array.from({ length: n }, () => rng.permutation(M))
    }
    const ev = new MaskEvaluator(this.forward, { nFeatures: M, perturbationsPerEval: opts.perturbationsPerEval, control, phase: 'ShapleyValueSampling' })
    // Captum's order: all-absent first, then each permutation's growing coalitions.
    const masks: Uint8Array[] = [filledMask(M, 0)]
    for (const p of permutations) {
      const cur = filledMask(M, 0)
      for (const j of p) {
        cur[j] = 1
        masks.push(cur.slice())
      }
    }
    const outs = await ev.evaluate(masks) // [1 + nSamples·M][nOutputs]
    const nOut = outs[0]!.length
    const total = Array.from({ length: nOut }, () => Array.from({ length: M }, () => 0))
    let row = 1
    for (const p of permutations) {
      let prev = outs[0]!
      for (const j of p) {
        const cur = outs[row++]!
        for (let o = 0; o < nOut; o++) total[o]![j]! += cur[o]! - prev[o]!
        prev = cur
      }
    }
    const attributions = total.map(r => r.map(v => v / permutations.length))
    return { attributions, evaluations: ev.rows, forwardCalls: ev.forwardCalls, permutations }
  }
}
