/**
 * Prop types shared by the attribution components (kept out of the `.vue` files so
 * slides and wrappers can import them).
 */

/** One method's row in `MethodComparison`. */
export interface MethodRow {
  /** e.g. 'FeatureAblation', 'IntegratedGradients'. */
  name: string
  /** [nFeatures] attributions of this method (e.g. `seqAttr`, or BoW `scores`). */
  values: number[]
}

/** Backend that computed the forward, as `RunStats.backend` / `initTfBackend` name it. */
export type BackendName = 'webgpu' | 'wasm' | 'cpu'

/** Where the numbers on a slide come from: baked at build time, or computed now. */
export type ResultMode = 'recorded' | 'live'

/** What the model loader is doing. */
export type LoadPhase = 'idle' | 'downloading' | 'loading' | 'ready' | 'error'
