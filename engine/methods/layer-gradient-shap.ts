import type { RunControl } from '../core/types'
import type { LayerAttributionResult, LayerGradientFn, LayerPath } from './layer-attribution'
/**
 * Captum's LayerGradientShap with one baseline and stdevs 0: the expected gradient over
 * random points of the line a′ + α (a − a′), α ~ U(0, 1), times a − a′:
 *   attr[pos] = Σ_{e ∈ pos} (a − a′)_e · mean_s ∂F/∂a_e (a′ + α_s (a − a′)).
 * The alphas are drawn from the seeded RNG, path by path, so a run is reproducible.
 */
import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'
import { positiveInt } from './common'
import { attributionPerPosition, evaluateLayerRows } from './layer-attribution'

export interface LayerGradientShapOptions {
  /** Random alphas per path (Captum default 5). */
  nSamples?: number
  /** Only 0: Captum adds the noise to the layer's input, which for a token layer is the integer ids. */
  stdevs?: number
  seed?: number
  internalBatchSize?: number
}

/**
 * LayerGradientShap on a path-batched layer gradient.
 *
 * @example
 * const r = await new LayerGradientShap(grad).attribute(paths, { nSamples: 5, seed: 0 })
 */
export class LayerGradientShap {
  constructor(private readonly gradient: LayerGradientFn) {}

  async attribute(paths: LayerPath[], options: LayerGradientShapOptions = {}, control?: RunControl): Promise<LayerAttributionResult> {
    if ((options.stdevs ?? 0) !== 0)
      throw new AttributionError('unsupported', 'LayerGradientShap with stdevs > 0 is not supported: Captum would add the noise to the integer token ids.')
    const n = positiveInt(options.nSamples, 5, 'nSamples')
    const rng = new Rng(options.seed ?? 0)
    // GradientShap: alpha ~ U(0, 1) per sample, gradients averaged (SmoothGrad mean).
    const rows = paths.flatMap((_, path) => Array.from({ length: n }, () => ({ path, alpha: rng.uniform(), weight: 1 / n })))
    const { sums, passes } = await evaluateLayerRows('LayerGradientShap', paths, rows, this.gradient, options.internalBatchSize, control)
    return { attributions: paths.map((p, i) => attributionPerPosition(p, sums[i], 'delta')), passes, rows: rows.length }
  }
}
