import type { GradientFn, RunControl } from '../core/types'
import type { GradientInputOptions, GradientResult } from './common'
/**
 * Captum's InputXGradient: x ⊙ ∂f/∂x at x (0 wherever x is 0).
 */
import { throwIfAborted } from '../core/errors'
import { checkGradients, checkInput } from './common'

/**
 * InputXGradient (a `baselines` option is ignored, as in Captum).
 *
 * @example
 * const grad: GradientFn = async xs => ({ outputs: xs.map(() => 0), grads: xs.map(() => Float64Array.of(-2, 1)) })
 * (await new InputXGradient(grad).attribute({ inputs: Float64Array.of(3, 0) })).attributions // [-6, 0]
 */
export class InputXGradient {
  constructor(private readonly gradient: GradientFn) {}

  async attribute(opts: GradientInputOptions, control?: RunControl): Promise<GradientResult> {
    const x = opts.inputs
    checkInput(x)
    throwIfAborted(control?.signal)
    const res = await this.gradient([x])
    checkGradients(res, 1, x.length)
    const g = res.grads[0]!
    const attributions = x.map((v, e) => v * g[e]!)
    control?.onProgress?.({ done: 1, total: 1, phase: 'InputXGradient' })
    return { attributions, evaluations: 1, forwardCalls: 1 }
  }
}
