/**
 * The attribution methods, one Captum algorithm per module. Perturbation methods take a
 * batched `MaskForward` and return `{ attributions: [nOutputs][nFeatures], evaluations,
 * forwardCalls }`; gradient methods take a `GradientFn` (and optionally a
 * `ScalarForward`) and return `{ attributions: [nDims], delta? }`.
 *
 * @example
 * import { FeatureAblation } from './methods'
 * const { attributions } = await new FeatureAblation(forward).attribute({ nFeatures: 16, perturbationsPerEval: 64 }, control)
 */
export * from './common'
export { DeepLift, type DeepLiftModel, type DeepLiftOptions, type DeepLiftVariant, gradientAtInputDeepLiftModel } from './deep-lift'
export { FeatureAblation, type FeatureAblationOptions } from './feature-ablation'
export { GradientShap, type GradientShapOptions } from './gradient-shap'
export { InputXGradient } from './input-x-gradient'
export { IntegratedGradients, type IntegratedGradientsOptions, weightedGradSum } from './integrated-gradients'
export { KERNEL_SHAP_INF_WEIGHT, KernelShap, kernelShapCoalitions, type KernelShapOptions, kernelShapWeight } from './kernel-shap'
export { type LayerAttributionResult, type LayerGradientFn, type LayerPath, type LayerRow } from './layer-attribution'
export { LayerGradientShap, type LayerGradientShapOptions } from './layer-gradient-shap'
export { LayerGradientXActivation } from './layer-gradient-x-activation'
export { LayerIntegratedGradients, type LayerIntegratedGradientsOptions } from './layer-integrated-gradients'
export { binaryCosineSimilarity, Lime, type LimeOptions, limeSimilarity } from './lime'
export { NoiseTunnel, type NoiseTunnelOptions, type NoiseTunnelType } from './noise-tunnel'
export { Saliency, type SaliencyOptions } from './saliency'
export { ShapleyValueSampling, type ShapleyValueSamplingOptions, type ShapleyValueSamplingResult } from './shapley-value-sampling'
export { SHAPLEY_MAX_FEATURES, shapleyPermutationWalk, ShapleyValues, type ShapleyValuesOptions, shapleyWeight } from './shapley-values'
export { type CoalitionLike, fitSurrogate, toMasks } from './surrogate'
