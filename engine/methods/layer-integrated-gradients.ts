import type { IntegrationMethod } from '../core/quadrature'
import type { RunControl } from '../core/types'
import type { LayerAttributionResult, LayerGradientFn, LayerPath, LayerRow } from './layer-attribution'
/**
 * Captum's LayerIntegratedGradients: IG along the straight line between the layer's
 * activation for the baseline (a′) and for the input (a):
 *   attr[pos] = Σ_{e ∈ pos} (a − a′)_e · Σ_i w_i ∂F/∂a_e (a′ + α_i (a − a′)),
 * with Captum's quadrature (Gauss–Legendre by default) and, optionally, its convergence
 * delta Σ attr − (F(a) − F(a′)) from two extra endpoint rows per path.
 */
import { approximationParameters } from '../core/quadrature'
import { positiveInt } from './common'
import { attributionPerPosition, evaluateLayerRows } from './layer-attribution'

export interface LayerIntegratedGradientsOptions {
  /** Captum default 50. */
  nSteps?: number
  method?: IntegrationMethod | string
  /** Rows per gradient call (default: every row of every path in one call). */
  internalBatchSize?: number
  returnConvergenceDelta?: boolean
}

/**
 * LayerIntegratedGradients on a path-batched layer gradient.
 *
 * @example
 * const r = await new LayerIntegratedGradients(grad).attribute([{ input: a, baseline: a0, dim: 768 }], { nSteps: 25 })
 * r.attributions[0] // per position
 */
export class LayerIntegratedGradients {
  constructor(private readonly gradient: LayerGradientFn) {}

  async attribute(paths: LayerPath[], options: LayerIntegratedGradientsOptions = {}, control?: RunControl): Promise<LayerAttributionResult> {
    const nSteps = positiveInt(options.nSteps, 50, 'nSteps')
    const { alphas, weights } = approximationParameters(options.method ?? 'gausslegendre', nSteps)
    // Step-major (every path's row at alpha_0, then at alpha_1, …), so that a pass holds
    // whole steps and a caller whose paths share their points (the LLM's target tokens)
    // can share a forward per step; each path still sums its steps in Captum's order.
    // Captum multiplies float32 gradients by the step sizes cast to float32.
    const rows: LayerRow[] = alphas.flatMap((alpha, i) => paths.map((_, path) => ({ path, alpha, weight: Math.fround(weights[i]) })))
    if (options.returnConvergenceDelta) {
      for (const alpha of [0, 1])
        paths.forEach((_, path) => rows.push({ path, alpha, weight: 0, endpoint: true }))
    }
    const { sums, endpoints, passes } = await evaluateLayerRows('LayerIntegratedGradients', paths, rows, this.gradient, options.internalBatchSize, control)
    const attributions = paths.map((p, i) => attributionPerPosition(p, sums[i], 'delta'))
    const result: LayerAttributionResult = { attributions, passes, rows: rows.length }
    if (options.returnConvergenceDelta)
      result.convergenceDelta = attributions.map((a, i) => a.reduce((s, v) => s + v, 0) - (endpoints[i].f1! - endpoints[i].f0!))
    return result
  }
}
