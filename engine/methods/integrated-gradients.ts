import type { IntegrationMethod } from '../core/quadrature'
import type { GradientFn, RunControl, ScalarForward } from '../core/types'
import type { GradientInputOptions, GradientResult } from './common'
/**
 * Captum's IntegratedGradients on one input row:
 * attr = (x − b) ⊙ Σ_s w_s ∇f(b + α_s (x − b)), with Captum's alphas and step sizes
 * (`approximationParameters`; the w_s cast to float32 as Captum does) and the signed
 * convergence delta Σattr − (f(x) − f(b)).
 */
import { batchSizeOption, inChunks } from '../core/batching'
import { approximationParameters } from '../core/quadrature'
import { checkGradients, checkInput, outputsAt, positiveInt, resolveBaseline, sum } from './common'

export interface IntegratedGradientsOptions extends GradientInputOptions {
  /** Path points (Captum default 50). */
  nSteps?: number
  /** Integration rule (Captum default 'gausslegendre'). */
  method?: IntegrationMethod
  /** Path rows per gradient call (Captum's `internal_batch_size`; default: all nSteps at once). */
  internalBatchSize?: number
}

/**
 * Σ_s fround(w_s) · g_s over the rows of one path ([nSteps][nDims] → [nDims]).
 *
 * @example
 * weightedGradSum([Float64Array.of(1), Float64Array.of(3)], [0.5, 0.5]) // Float64Array [2]
 */
export function weightedGradSum(grads: Float64Array[], weights: number[]): Float64Array {
  const nDims = grads[0]?.length ?? 0
  const total = new Float64Array(nDims)
  for (let s = 0; s < grads.length; s++) {
    // Captum multiplies by `torch.tensor(step_sizes).float()`.
    const w = Math.fround(weights[s]!)
    const g = grads[s]!
    for (let e = 0; e < nDims; e++) total[e]! += w * g[e]!
  }
  return total
}

/**
 * IntegratedGradients.
 *
 * @example
 * // f(x) = 3·x0 + x1  ⇒  attr = (x − b) ⊙ w
 * const grad: GradientFn = async xs => ({ outputs: xs.map(x => 3 * x[0] + x[1]), grads: xs.map(() => Float64Array.of(3, 1)) })
 * const r = await new IntegratedGradients(grad).attribute({ inputs: Float64Array.of(1, 2) }) // attributions ≈ [3, 2], delta ≈ 0
 */
export class IntegratedGradients {
  /** `forward` (optional) computes f(x), f(b) for the delta without a backward pass. */
  constructor(private readonly gradient: GradientFn, private readonly forward?: ScalarForward) {}

  async attribute(opts: IntegratedGradientsOptions, control?: RunControl): Promise<GradientResult> {
    const x = opts.inputs
    checkInput(x)
    const b = resolveBaseline(x, opts.baselines)
    const nSteps = positiveInt(opts.nSteps, 50, 'nSteps')
    const { alphas, weights } = approximationParameters(opts.method ?? 'gausslegendre', nSteps)
    const batch = batchSizeOption(opts.internalBatchSize, nSteps, 'internalBatchSize')
    const n = x.length
    const diff = new Float64Array(n)
    for (let e = 0; e < n; e++) diff[e] = x[e]! - b[e]!
    // [nSteps][nDims]: b + α (x − b), in alpha order (Captum's step-major layout).
    const points = alphas.map((a) => {
      const p = new Float64Array(n)
      for (let e = 0; e < n; e++) p[e] = b[e]! + a * diff[e]!
      return p
    })
    let calls = 0
    const grads = await inChunks(points, batch, async (chunk) => {
      const res = await this.gradient(chunk)
      calls++
      checkGradients(res, chunk.length, n)
      return res.grads
    }, control, 'IntegratedGradients', { offset: 0, total: nSteps + 2 })
    const total = weightedGradSum(grads, weights)
    const attributions = new Float64Array(n)
    for (let e = 0; e < n; e++) attributions[e] = diff[e]! * total[e]!
    const [fx, fb] = await outputsAt([x, b], this.gradient, this.forward)
    calls++
    control?.onProgress?.({ done: nSteps + 2, total: nSteps + 2, phase: 'IntegratedGradients' })
    return { attributions, delta: sum(attributions) - (fx! - fb!), evaluations: nSteps + 2, forwardCalls: calls }
  }
}
