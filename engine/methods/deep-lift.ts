import type { GradientFn, RunControl, ScalarForward } from '../core/types'
import type { GradientInputOptions, GradientResult } from './common'
/**
 * DeepLift needs the network's internals (the rescale rule replaces each supported
 * nonlinearity's derivative by Δout/Δin between x and the baseline), so the method works
 * on a model-provided `DeepLiftModel` that returns the modified gradient ("multipliers");
 * the attribution is (x − b) ⊙ multipliers, with Captum's signed delta.
 *
 * Captum 0.8 only rewrites gradients of `nn.Module` activations in SUPPORTED_NON_LINEAR
 * (ReLU, ELU, LeakyReLU, Sigmoid, Tanh, Softplus, MaxPool, Softmax). The course's BoW
 * model uses functional `F.hardsigmoid` / `torch.sigmoid`, which Captum leaves alone, so
 * Captum's DeepLift on it is the plain gradient at x: (x − b) ⊙ ∇f(x), which with the
 * zero baseline is exactly InputXGradient (`gradientAtInputDeepLiftModel`).
 */
import { AttributionError, throwIfAborted } from '../core/errors'
import { checkGradients, checkInput, resolveBaseline, sum } from './common'

/** Which DeepLift the model should implement (see `MethodOptions.deepLiftVariant`). */
export type DeepLiftVariant = 'rescale' | 'captum' | 'captum-module'

/** What a model adapter provides for DeepLift (implemented per model, e.g. the BoW MLP). */
export interface DeepLiftModel {
  /**
   * The modified gradient m ([nDims]) with attr = (x − b) ⊙ m: for 'rescale', every
   * nonlinearity's local derivative replaced by Δout/Δin (plain derivative when
   * |Δin| < 1e-10); for 'captum' / 'captum-module', what Captum 0.8 does on the model
   * with functional / module activations.
   */
  multipliers: (x: Float64Array, baseline: Float64Array, variant: DeepLiftVariant) => Promise<Float64Array>
  /** f on rows, for the delta. */
  forward: ScalarForward
}

export interface DeepLiftOptions extends GradientInputOptions {
  /** Default 'captum' (what Captum 0.8 computes on the course model). */
  variant?: DeepLiftVariant
}

/**
 * A `DeepLiftModel` for models whose nonlinearities Captum does not rewrite
 * (functional activations): the multipliers are the ordinary gradient at x.
 *
 * @example
 * const dl = new DeepLift(gradientAtInputDeepLiftModel(grad)) // ≡ InputXGradient for b = 0
 */
export function gradientAtInputDeepLiftModel(gradient: GradientFn, forward?: ScalarForward): DeepLiftModel {
  return {
    async multipliers(x) {
      const res = await gradient([x])
      checkGradients(res, 1, x.length)
      return res.grads[0]!
    },
    forward: forward ?? (async rows => (await gradient(rows)).outputs),
  }
}

/**
 * DeepLift.
 *
 * @example
 * const r = await new DeepLift(model).attribute({ inputs: x, baselines: 0 }) // r.delta = Σattr − (f(x) − f(0))
 */
export class DeepLift {
  constructor(private readonly model: DeepLiftModel) {}

  async attribute(opts: DeepLiftOptions, control?: RunControl): Promise<GradientResult> {
    const x = opts.inputs
    checkInput(x)
    const b = resolveBaseline(x, opts.baselines)
    throwIfAborted(control?.signal)
    const m = await this.model.multipliers(x, b, opts.variant ?? 'captum')
    if (m.length !== x.length || m.some(v => !Number.isFinite(v)))
      throw new AttributionError('backend', 'DeepLift multipliers are missing or non-finite.')
    const attributions = x.map((v, e) => (v - b[e]!) * m[e]!)
    const [fx, fb] = await this.model.forward([x, b])
    if (!Number.isFinite(fx!) || !Number.isFinite(fb!))
      throw new AttributionError('backend', 'The model returned a non-finite output (NaN or ∞).')
    control?.onProgress?.({ done: 3, total: 3, phase: 'DeepLift' })
    return { attributions, delta: sum(attributions) - (fx! - fb!), evaluations: 3, forwardCalls: 2 }
  }
}
