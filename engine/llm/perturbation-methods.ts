/**
 * The perturbation methods LLMAttribution can wrap, adapted to one calling convention
 * (`PerturbationAttributeFn`: attributions of every forward output, [nOutputs][nFeatures]).
 * The algorithms themselves live in `engine/methods/` (one per module); every option of
 * the request (nSamples, seed, perturbationsPerEval, alpha), and the tests' replayed draws
 * (`ReplayDraws`: permutations / coalitions / weights), is passed through unchanged.
 */
import type { PerturbationMethodName } from '../api'
import type { MaskForward } from '../core/types'
import type { PerturbationAttributeFn } from './llm-attribution'
import { AttributionError } from '../core/errors'
import { FeatureAblation } from '../methods/feature-ablation'
import { KernelShap } from '../methods/kernel-shap'
import { Lime } from '../methods/lime'
import { ShapleyValueSampling } from '../methods/shapley-value-sampling'
import { ShapleyValues } from '../methods/shapley-values'

type Ctor = new (forward: MaskForward) => { attribute: (opts: never, control?: never) => Promise<{ attributions: number[][] }> }

const METHODS: Record<PerturbationMethodName, Ctor> = {
  FeatureAblation,
  ShapleyValues,
  ShapleyValueSampling,
  Lime,
  KernelShap,
}

/**
 * The attribute function of a perturbation method.
 *
 * @example
 * const fa = await perturbationMethod('FeatureAblation')
 * const attr = await fa(forward, 16, {}) // [1 + T][16]
 */
export async function perturbationMethod(name: PerturbationMethodName): Promise<PerturbationAttributeFn> {
  const C = METHODS[name]
  if (!C)
    throw new AttributionError('bad-request', `Unknown perturbation method "${name}".`)
  return async (forward, nFeatures, options, control) => {
    const method = new C(forward) as unknown as { attribute: (opts: unknown, control?: unknown) => Promise<{ attributions: number[][] }> }
    const res = await method.attribute({ ...options, nFeatures }, control)
    return res.attributions
  }
}
