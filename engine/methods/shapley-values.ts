import type { MaskForward, RunControl } from '../core/types'
import type { PerturbationOptions, PerturbationResult } from './common'
/**
 * Exact Shapley values (Captum's ShapleyValues). Captum walks all M! permutations
 * (`itertools.permutations` order) adding features one at a time from all-absent and
 * averages the marginal gains; every coalition S then gets the same total weight
 * |S|!(M−|S|−1)!/M!, so evaluating each of the 2^M coalitions once and weighting gives
 * the same numbers (to float rounding) at 2^M instead of M!·M rows.
 * `shapleyPermutationWalk` keeps Captum's walk for tests (small M only).
 */
import { MaskEvaluator } from '../core/batching'
import { AttributionError } from '../core/errors'
import { checkFeatures } from './common'

export interface ShapleyValuesOptions extends PerturbationOptions {
  /** Refuse more features than this (2^M rows). Default 20 (about a million rows). */
  maxFeatures?: number
}

/** Default cap on M for exact Shapley by coalitions. */
export const SHAPLEY_MAX_FEATURES = 20

/**
 * The Shapley weight of a coalition of size s among M players: s!(M−s−1)!/M!
 * = 1 / (M · C(M−1, s)).
 *
 * @example
 * shapleyWeight(3, 1) // 1/6
 */
export function shapleyWeight(M: number, s: number): number {
  // C(M−1, s) by the multiplicative formula (exact in doubles for M ≤ 60 or so).
  let c = 1
  for (let i = 1; i <= s; i++) c = c * (M - 1 - s + i) / i
  return 1 / (M * c)
}

/** The mask of coalition `bits` (bit j = feature j present). */
function maskOfBits(bits: number, M: number): Uint8Array {
  const m = new Uint8Array(M)
  for (let j = 0; j < M; j++) m[j] = (bits >>> j) & 1
  return m
}

/**
 * Exact Shapley values from the 2^M coalitions.
 *
 * @example
 * const sv = new ShapleyValues(async masks => masks.map(m => [m[0] * m[1]]))
 * const { attributions } = await sv.attribute({ nFeatures: 2 }) // [[0.5, 0.5]]
 */
export class ShapleyValues {
  constructor(private readonly forward: MaskForward) {}

  async attribute(opts: ShapleyValuesOptions, control?: RunControl): Promise<PerturbationResult> {
    const M = opts.nFeatures
    checkFeatures(M)
    const cap = opts.maxFeatures ?? SHAPLEY_MAX_FEATURES
    if (M > cap || M > 30)
      throw new AttributionError('too-long', `Exact Shapley values need 2^${M} model evaluations; use at most ${Math.min(cap, 30)} features or ShapleyValueSampling.`)
    const ev = new MaskEvaluator(this.forward, { nFeatures: M, perturbationsPerEval: opts.perturbationsPerEval, control, phase: 'ShapleyValues' })
    const nCoalitions = 2 ** M
    // Coalition index = bitmask; index 0 (all absent) is evaluated first, as in Captum.
    const masks = Array.from({ length: nCoalitions }, (_, bits) => maskOfBits(bits, M))
    const outs = await ev.evaluate(masks) // [2^M][nOutputs]
    const nOut = outs[0]!.length
    const weights = Array.from({ length: M }, (_, s) => shapleyWeight(M, s))
    const popcount = (b: number) => {
      let c = 0
      while (b) {
        b &= b - 1
        c++
      }
      return c
    }
    const attributions = Array.from({ length: nOut }, () => Array.from({ length: M }, () => 0))
    for (let bits = 0; bits < nCoalitions; bits++) {
      const w = weights[popcount(bits)]
      for (let j = 0; j < M; j++) {
        if ((bits >>> j) & 1)
          continue
        const withJ = outs[bits | (1 << j)]!
        const without = outs[bits]!
        for (let o = 0; o < nOut; o++)
          attributions[o]![j]! += w! * (withJ[o]! - without[o]!)
      }
    }
    return { attributions, evaluations: ev.rows, forwardCalls: ev.forwardCalls }
  }
}

/**
 * Captum's ShapleyValues walk, literally: all M! permutations in `itertools.permutations`
 * (lexicographic) order, each from all-absent adding one feature at a time, marginal gains
 * summed then divided by M!. Memoized, so rows = 2^M. For tests and M ≤ 9.
 *
 * @example
 * const { attributions } = await shapleyPermutationWalk(async m => m.map(r => [r[0] * r[1]]), { nFeatures: 2 }) // [[0.5, 0.5]]
 */
export async function shapleyPermutationWalk(forward: MaskForward, opts: PerturbationOptions, control?: RunControl): Promise<PerturbationResult> {
  const M = opts.nFeatures
  checkFeatures(M)
  if (M > 9)
    throw new AttributionError('too-long', `The permutation walk visits ${M}! permutations; use ShapleyValues for M > 9.`)
  const ev = new MaskEvaluator(forward, { nFeatures: M, perturbationsPerEval: opts.perturbationsPerEval, control, phase: 'ShapleyValues' })
  const outs = await ev.evaluate(Array.from({ length: 2 ** M }, (_, bits) => maskOfBits(bits, M)))
  const nOut = outs[0]!.length
  const total = Array.from({ length: nOut }, () => Array.from({ length: M }, () => 0))
  const perm = Array.from({ length: M }, (_, i) => i)
  let nPerms = 0
  for (;;) {
    let bits = 0
    for (const j of perm) {
      const next = bits | (1 << j)
      for (let o = 0; o < nOut; o++)
        total[o]![j]! += outs[next]![o]! - outs[bits]![o]!
      bits = next
    }
    nPerms++
    // Next permutation in lexicographic order (itertools.permutations of range(M)).
    let i = M - 2
    while (i >= 0 && perm[i]! > perm[i + 1]!) i--
    if (i < 0)
      break
    let k = M - 1
    while (perm[k]! < perm[i]!) k--;
    [perm[i], perm[k]] = [perm[k]!, perm[i]!]
    perm.splice(i + 1, M - i - 1, ...perm.slice(i + 1).reverse())
  }
  const attributions = total.map(row => row.map(v => v / nPerms))
  return { attributions, evaluations: ev.rows, forwardCalls: ev.forwardCalls }
}
