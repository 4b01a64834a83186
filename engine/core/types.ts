/**
 * The contracts every attribution method is written against. Methods never know which
 * runtime computes a forward: they get these functions from a model adapter
 * (`engine/models/*`), which is the only code that touches tfjs, ORT or transformers.js.
 */

/** Progress of one attribution run: model evaluations (rows) done out of the total planned. */
export interface Progress {
  done: number
  total: number
  /** Optional phase label shown on the slide, e.g. "loading model", "KernelShap". */
  phase?: string
}

/** Options shared by every method run. */
export interface RunControl {
  /** Stops the run; the method rejects with an `AttributionError` of code `cancelled`. */
  signal?: AbortSignal
  onProgress?: (p: Progress) => void
}

/**
 * A batched forward over interpretable inputs: each row is a binary mask over the
 * features (1 = feature present, 0 = replaced by its baseline), and each output row is
 * the model output for that perturbation.
 *
 * Shapes: `masks` [nRows][nFeatures] → result [nRows][nOutputs].
 * nOutputs is 1 for a scalar target, or 1 + T for an LLM target of T tokens
 * (`[Σ_k logp_k, logp_1, …, logp_T]`, Captum's LLMAttribution layout).
 *
 * Rows must be evaluated independently: a method may batch them in any grouping
 * (`perturbationsPerEval`) and the numbers must not change.
 *
 * @example
 * const forward: MaskForward = async masks => masks.map(m => [m[0] * 2 + m[1]])
 */
export type MaskForward = ((masks: Uint8Array[]) => Promise<number[][]>) & {
  /**
   * `false` when the same mask can give different outputs (e.g. a ProductBaselines input
   * draws a fresh baseline on every row): MaskEvaluator then evaluates every row, repeats
   * included, in Captum's order. Absent or `true`: a pure function of the mask, memoized.
   */
  deterministic?: boolean
}

/**
 * A batched gradient of a scalar model output with respect to a continuous input.
 *
 * Shapes: `inputs` [nRows][nDims] → outputs [nRows] (the scalar, e.g. the target-class
 * probability) and grads [nRows][nDims] (∂output/∂input per row).
 *
 * @example
 * // f(x) = Σ w_i x_i  →  grad = w
 * const grad: GradientFn = async xs => ({ outputs: xs.map(x => dot(w, x)), grads: xs.map(() => Float64Array.from(w)) })
 */
export type GradientFn = (inputs: Float64Array[]) => Promise<{ outputs: number[], grads: Float64Array[] }>

/** A batched scalar forward over continuous inputs: [nRows][nDims] → [nRows]. */
export type ScalarForward = (inputs: Float64Array[]) => Promise<number[]>
