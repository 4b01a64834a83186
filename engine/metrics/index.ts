export { type CurveOptions, type CurveResult, deletionCurve, insertionCurve, rankFeatures } from './faithfulness'
/**
 * Explanation metrics: Captum's infidelity and sensitivity_max, and token-level
 * deletion/insertion curves (AOPC) through the perturbation methods' MaskForward.
 *
 * @example
 * import { infidelity, sensitivityMax, deletionCurve } from './metrics'
 */
export { gaussianPerturbation, infidelity, type InfidelityOptions, type PerturbFunc } from './infidelity'
export { sensitivityMax, type SensitivityOptions } from './sensitivity'
