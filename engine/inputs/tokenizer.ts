/**
 * The slice of a tokenizer the interpretable inputs need. `engine/models/causal-lm.ts`
 * provides it; tests may pass the same object.
 */
export interface LlmTokenizer {
  /** Token ids of `text`, no special tokens added. */
  encode: (text: string) => number[]
  decode: (ids: number[]) => string
  /** Raw BPE strings, e.g. `Ġlives`. */
  convertIdsToTokens: (ids: number[]) => string[]
  convertTokensToIds: (tokens: string[]) => number[]
}

/**
 * An interpretable LLM input (Captum's `InterpretableInput`): `nFeatures` binary features,
 * and a map from a mask row (1 = present, 0 = baseline) to model input ids.
 */
export interface InterpretableInput {
  readonly nFeatures: number
  /** What each feature is called in the result: BPE strings or template slot values. */
  readonly values: string[]
  /**
   * Model input ids for one forward row. Called exactly once per forward row, in
   * evaluation order (stateful baselines such as ProductBaselines draw here).
   */
  toModelIds: (mask: Uint8Array) => number[]
  /** The unperturbed ids, without side effects (for generation and length checks). */
  originalIds: () => number[]
}
