import type { RunControl } from '../core/types'
import type { LayerAttributionResult, LayerGradientFn, LayerPath } from './layer-attribution'
/**
 * Captum's LayerGradientXActivation: the layer's activation times the gradient of F at it,
 *   attr[pos] = Σ_{e ∈ pos} a_e · ∂F/∂a_e (a),
 * one gradient row per path (the baseline is not used).
 */
import { attributionPerPosition, evaluateLayerRows } from './layer-attribution'

/**
 * LayerGradientXActivation on a path-batched layer gradient.
 *
 * @example
 * const r = await new LayerGradientXActivation(grad).attribute([{ input: a, baseline: a, dim: 768 }])
 */
export class LayerGradientXActivation {
  constructor(private readonly gradient: LayerGradientFn) {}

  async attribute(paths: LayerPath[], options: { internalBatchSize?: number } = {}, control?: RunControl): Promise<LayerAttributionResult> {
    const rows = paths.map((_, path) => ({ path, alpha: 1, weight: 1 }))
    const { sums, passes } = await evaluateLayerRows('LayerGradientXActivation', paths, rows, this.gradient, options.internalBatchSize, control)
    return { attributions: paths.map((p, i) => attributionPerPosition(p, sums[i], 'input')), passes, rows: rows.length }
  }
}
