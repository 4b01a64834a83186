/**
 * Captum's Saliency: the gradient at x, absolute by default (`abs=True`). Dense: every
 * input dimension gets a value, including ones that are 0 in x.
 */
import type { GradientFn, RunControl } from '../core/types'
import type { GradientInputOptions, GradientResult } from './common'
import { throwIfAborted } from '../core/errors'
import { checkGradients, checkInput } from './common'

export interface SaliencyOptions extends GradientInputOptions {
  /** Return |∂f/∂x| (Captum default true). */
  abs?: boolean
}

/**
 * Saliency.
 *
 * @example
 * const grad: GradientFn = async xs => ({ outputs: xs.map(() => 0), grads: xs.map(() => Float64Array.of(-2, 1)) })
 * (await new Saliency(grad).attribute({ inputs: Float64Array.of(1, 1) })).attributions // [2, 1]
 */
export class Saliency {
  constructor(private readonly gradient: GradientFn) {}

  async attribute(opts: SaliencyOptions, control?: RunControl): Promise<GradientResult> {
    const x = opts.inputs
    checkInput(x)
    throwIfAborted(control?.signal)
    const res = await this.gradient([x])
    checkGradients(res, 1, x.length)
    const g = res.grads[0]!
    const attributions = (opts.abs ?? true) ? g.map(Math.abs) : Float64Array.from(g)
    control?.onProgress?.({ done: 1, total: 1, phase: 'Saliency' })
    return { attributions, evaluations: 1, forwardCalls: 1 }
  }
}
