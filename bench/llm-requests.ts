/**
 * The LLM benchmark's requests: the Palm Coast prompt and target of the deck's catalog,
 * and the five methods with the budgets of `scripts/bench.ts`'s LLM section, so that the
 * Node and the browser tables measure the same work.
 */
import type { AttributionRequest, MethodName, MethodOptions } from '../engine/api'
import { PALM_COAST_PROMPT, PALM_COAST_TARGET } from '../components/demo/catalog'

/** The methods timed, in order: the perturbation methods, then Captum's three LLM gradient methods (LIG with the reference's 25 steps and the deck's 10). */
export const BENCH_METHODS: ReadonlyArray<readonly [MethodName, MethodOptions]> = [
  ['FeatureAblation', {}],
  ['ShapleyValueSampling', { nSamples: 5, seed: 0 }],
  ['KernelShap', { nSamples: 50, seed: 0 }],
  ['Lime', { nSamples: 50, seed: 0 }],
  ['LayerIntegratedGradients', { nSteps: 25 }],
  ['LayerIntegratedGradients', { nSteps: 10 }],
  ['LayerGradientXActivation', {}],
  ['LayerGradientShap', { nSamples: 5, seed: 0 }],
]

/**
 * A method's name with its budget, as the tables print it.
 *
 * @example
 * methodLabel('KernelShap', { nSamples: 50, seed: 0 }) // 'KernelShap(50)'
 */
export function methodLabel(method: string, options: MethodOptions): string {
  return `${method}${options.nSamples ? `(${options.nSamples})` : options.nSteps ? `(${options.nSteps})` : ''}`
}

/**
 * The Palm Coast request for one model and method.
 *
 * @example
 * palmRequest('tiny-gpt2', 'FeatureAblation', {}).target // ' playing golf, hiking, and cooking.'
 */
export function palmRequest(model: string, method: MethodName, options: MethodOptions): AttributionRequest {
  return { model, method, options, input: { type: 'text', text: PALM_COAST_PROMPT }, target: PALM_COAST_TARGET }
}

/**
 * The untimed warm-up before a model's rows (as in `scripts/bench.ts`): model load, the
 * ORT session and its kernels on the score and the gradient paths (one short gradient row).
 */
export function warmupRequests(model: string): AttributionRequest[] {
  return [
    palmRequest(model, 'FeatureAblation', {}),
    { ...palmRequest(model, 'LayerIntegratedGradients', { nSteps: 1 }), target: ' playing' },
  ]
}
