import type { MaskForward, RunControl } from '../core/types'
import type { PerturbationOptions, PerturbationResult } from './common'
/**
 * Captum's FeatureAblation with baseline 0 per feature: attr_j = f(all on) − f(j off),
 * per output column. Evaluations: 1 + nFeatures.
 */
import { MaskEvaluator } from '../core/batching'
import { checkFeatures, filledMask } from './common'

export type FeatureAblationOptions = PerturbationOptions

/**
 * FeatureAblation over binary masks.
 *
 * @example
 * const fa = new FeatureAblation(async masks => masks.map(m => [2 * m[0] + 3 * m[1]]))
 * const { attributions } = await fa.attribute({ nFeatures: 2 }) // [[2, 3]]
 */
export class FeatureAblation {
  constructor(private readonly forward: MaskForward) {}

  async attribute(opts: FeatureAblationOptions, control?: RunControl): Promise<PerturbationResult> {
    const M = opts.nFeatures
    checkFeatures(M)
    const ev = new MaskEvaluator(this.forward, { nFeatures: M, perturbationsPerEval: opts.perturbationsPerEval, control, phase: 'FeatureAblation' })
    // Row 0 = all present, row 1+j = feature j ablated (Captum's order).
    const masks = [filledMask(M, 1)]
    for (let j = 0; j < M; j++) {
      const m = filledMask(M, 1)
      m[j] = 0
      masks.push(m)
    }
    const outs = await ev.evaluate(masks) // [1 + M][nOutputs]
    const full = outs[0]!
    const attributions = full.map((fo, o) => Array.from({ length: M }, (_, j) => fo - outs[1 + j]![o]!))
    return { attributions, evaluations: ev.rows, forwardCalls: ev.forwardCalls }
  }
}
