/**
 * The one request/response contract between the deck, the CLI (`npm run attribute`),
 * the bake step, the tests and the benchmarks. Names follow Captum (camelCase kwargs).
 */
import type { CurveResult } from './metrics/faithfulness'
import { methodsOf } from './registry'

export type PerturbationMethodName = 'FeatureAblation' | 'ShapleyValues' | 'ShapleyValueSampling' | 'Lime' | 'KernelShap'
export type GradientMethodName
  = | 'IntegratedGradients' | 'Saliency' | 'InputXGradient' | 'DeepLift' | 'GradientShap' | 'NoiseTunnel'
    | 'LayerIntegratedGradients' | 'LayerGradientXActivation' | 'LayerGradientShap'
export type MethodName = PerturbationMethodName | GradientMethodName

/** The layer methods `LLMGradientAttribution` wraps (gradients of the attribution graph). */
export type LlmGradientMethodName = Extract<GradientMethodName, 'LayerIntegratedGradients' | 'LayerGradientXActivation' | 'LayerGradientShap'>
/** The layer gradient methods, from the method registry (engine/registry.ts). */
export const LLM_GRADIENT_METHODS = methodsOf('layer-gradient') as readonly LlmGradientMethodName[]

/**
 * Captum kwargs, camelCase. Which method reads which, their ranges and defaults: the
 * method registry (engine/registry.ts); `validateRequest` rejects any other key.
 */
export interface MethodOptions {
  nSamples?: number
  nSteps?: number
  /** IG integration: 'gausslegendre' (default) | 'riemann_trapezoid' | 'riemann_left' | 'riemann_right' | 'riemann_middle' */
  method?: string
  seed?: number
  perturbationsPerEval?: number
  internalBatchSize?: number
  /** Lime's Lasso alpha (Captum default 0.01). */
  alpha?: number
  /** NoiseTunnel */
  ntType?: 'smoothgrad' | 'smoothgrad_sq' | 'vargrad'
  ntSamples?: number
  stdevs?: number
  /** NoiseTunnel: the wrapped method name (default IntegratedGradients). */
  baseMethod?: MethodName
  /** Saliency */
  abs?: boolean
  /** DeepLift: 'rescale' (the real rule) | 'captum' (Captum 0.8 on the course model: ≡ InputXGradient) | 'captum-module' */
  deepLiftVariant?: 'rescale' | 'captum' | 'captum-module'
  /** LLM */
  maxNewTokens?: number
  attrTarget?: 'log_prob' | 'prob'
  numTrials?: number
  skipTokens?: Array<number | string>
  /** LLM TextTokenInput baseline: a token id or token string (default 0, which is "!" in GPT-2). */
  baselineToken?: number | string
  /** Model runtime: 'fp32' (default) | 'q8' */
  dtype?: 'fp32' | 'q8'
  /** BoW IntegratedGradients: also return the path point by point (the IG explorable). */
  igPath?: boolean
  /** BoW infidelity: Captum's Gaussian perturbation (default) or the course notebook's. */
  infidelityPerturb?: 'gaussian' | 'notebook'
}

export type RequestInput
  = | { type: 'text', text: string }
    | { type: 'tokens', tokens: string[] }
    | {
      type: 'template'
      template: string
      values: Record<string, string> | string[]
      baselines?: Record<string, string> | string[] | null
      productBaselines?: Record<string, string[]> | null
      mask?: Record<string, number> | number[] | null
    }

export interface AttributionRequest {
  /** A BoW model folder, or a causal LM folder in Hugging Face layout. */
  model: string
  method: MethodName
  options?: MethodOptions
  input: RequestInput
  /** LLM: a string, or null to generate. BoW: a class index, or null for the predicted class. */
  target?: string | number | null
  metrics?: string[]
}

export interface RunStats {
  forwardCalls: number
  /** Rows the model ran (a row answered from memory is not one). */
  rows: number
  ms: number
  tokens?: number
  /** LLM perturbation runs: rows answered from the engine's memory of scored rows, without a forward. */
  rememberedRows?: number
  backend?: string
  /** WASM threads the runtime was allowed (1 unless the page is cross-origin isolated). */
  threads?: number
  /**
   * LLM runs: 'attribution-graph' (one ONNX Runtime session, scores in-graph) or the
   * fallback 'full-logits' (transformers.js's logits; a model without `model.safetensors`).
   */
  scorer?: 'attribution-graph' | 'full-logits'
}

export interface LlmResponse {
  kind: 'llm'
  inputTokens: string[]
  outputTokens: string[]
  seqAttr: number[]
  /** [nOutputTokens][nFeatures]; null for Lime and KernelShap (as in Captum). */
  tokenAttr: number[][] | null
  targetIds: number[]
  stats: RunStats
  metrics?: Record<string, unknown>
}

export interface BowResponse {
  kind: 'bow'
  /** The distinct tokens the model saw (in-vocabulary ones and <UNK>), each with its score. */
  words: string[]
  scores: number[]
  target: number
  probabilities: [number, number]
  convergenceDelta: number | null
  infidelity?: number
  sensitivityMax?: number
  /** `metrics: ['deletion' | 'insertion']`: the curves over the present words, in score order. */
  deletion?: CurveResult
  insertion?: CurveResult
  /** Map from the user's original words to model tokens, for shading the typed sentence. */
  alignment?: Array<{ text: string, token: string | null, status: 'used' | 'stopword' | 'unk' | 'dropped' | 'space' }>
  stats: RunStats
}

export type AttributionResponse = LlmResponse | BowResponse
