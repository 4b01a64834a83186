/**
 * Captum 0.8's `LLMAttribution` for perturbation methods: wraps a perturbation method so
 * that it explains the log-probability of a target continuation of a prompt.
 * It knows nothing about the runtime: it gets a tokenizer and a batched teacher-forced
 * scorer (`engine/models/causal-lm.ts` provides both).
 */
import type { MethodOptions, PerturbationMethodName } from '../api'
import type { MaskForward, RunControl } from '../core/types'
import type { InterpretableInput, LlmTokenizer } from '../inputs/tokenizer'
import { AttributionError } from '../core/errors'
import { METHOD_REGISTRY } from '../registry'

/** What LLMAttribution needs from a causal LM (a `CausalLm` satisfies it). */
export interface LlmScorer extends LlmTokenizer {
  readonly nPositions: number
  /** Per row, the T target log-probs under teacher forcing ([nRows][T]). */
  scoreTargets: (rows: Array<{ promptIds: number[], targetIds: number[] }>) => Promise<Float32Array[]>
  generate: (promptIds: number[], opts?: { maxNewTokens?: number }) => Promise<number[]>
}

/**
 * A perturbation method as LLMAttribution drives it: attributions of every forward output
 * ([nOutputs][nFeatures]) for a `MaskForward` over `nFeatures` binary features.
 */
export type PerturbationAttributeFn = (
  forward: MaskForward,
  nFeatures: number,
  options: MethodOptions & ReplayDraws,
  control?: RunControl,
) => Promise<number[][]>

export interface LlmAttributionResult {
  /** Attribution of the summed target log-prob (or of the sequence probability), [nFeatures]. */
  seqAttr: number[]
  /** [T][nFeatures]: row k explains target token k; null for Lime / KernelShap (as in Captum). */
  tokenAttr: number[][] | null
  /** Feature names: BPE strings (TextTokenInput) or slot values (TextTemplateInput). */
  inputTokens: string[]
  /** Captum's pretty target tokens ("playing", ","). */
  outputTokens: string[]
  targetIds: number[]
}

/**
 * Recorded draws to replay instead of the seeded RNG (Captum's own permutations and
 * coalitions, for the reference tests). Not part of the request JSON: only code that
 * calls `runLlmRequest` or a method directly can pass them.
 */
export interface ReplayDraws {
  /** ShapleyValueSampling: each a permutation of 0…M−1. */
  permutations?: number[][]
  /** Lime, KernelShap: [nSamples][nFeatures] 0/1. */
  coalitions?: Array<ArrayLike<number>>
  /** Lime, KernelShap: the recorded similarity weights, one per coalition. */
  weights?: number[]
}

export interface LlmAttributeOptions extends MethodOptions, ReplayDraws {
  /** Ids or BPE strings removed from a string target. */
  skipTokens?: Array<number | string>
  /** Greedy generation length when the target is null (Captum's default gen_args: 25). */
  maxNewTokens?: number
  /** Runs averaged (Captum's `num_trials`, default 1); trial t uses seed `seed + t`. */
  numTrials?: number
}

/**
 * Captum's pretty output tokens: each token's text with `\n` escaped and surrounding
 * whitespace stripped (`Ġplaying` → "playing").
 *
 * @example
 * prettyTokens([2712, 11], lm) // ['playing', ',']
 */
export function prettyTokens(ids: number[], tokenizer: LlmTokenizer): string[] {
  return ids.map(id => tokenizer.decode([id]).replace(/\n/g, '\\n').trim())
}

/**
 * The model over masks of an interpretable input's features: row r →
 * `[Σ_k logp_k, logp_1..T]` (perToken) or `[Σ_k logp_k]`; exp() of those for attrTarget
 * 'prob'. What every perturbation method and every token metric evaluates.
 *
 * @example
 * const forward = interpretableForward(lm, new TextTokenInput('Dave lives in Palm Coast', lm), lm.encode(' and'), { perToken: false })
 * await forward([Uint8Array.of(1, 1, 0, 1, 1)]) // [[log p(' and' | 'Dave lives! Palm Coast')]]
 */
export function interpretableForward(lm: LlmScorer, inp: InterpretableInput, targetIds: number[], opts: { perToken: boolean, attrTarget?: 'log_prob' | 'prob' }): MaskForward {
  const forward: MaskForward = async (masks) => {
    // toModelIds is called once per row, in order: stateful baselines draw here.
    const rows = masks.map(m => ({ promptIds: inp.toModelIds(m), targetIds }))
    for (const r of rows) {
      if (r.promptIds.length === 0)
        throw new AttributionError('empty-input', 'A perturbed prompt is empty (every token was removed).')
    }
    const logps = await lm.scoreTargets(rows) // [nRows][T]
    return logps.map((lp) => {
      let total = 0
      for (const x of lp)
        total = Math.fround(total + x) // float32 sum, as torch.sum of a float32 tensor
      const out = opts.perToken ? [total, ...lp] : [total]
      return opts.attrTarget === 'prob' ? out.map(v => Math.fround(Math.exp(v))) : out
    })
  }
  // A stochastic input (ProductBaselines) must not be memoized by mask: Captum draws a
  // fresh baseline on every forward row, repeated coalitions included.
  if ((inp as { deterministic?: boolean }).deterministic === false)
    forward.deterministic = false
  return forward
}

/**
 * Captum's `LLMAttribution(method, tokenizer, attr_target)`.
 *
 * @example
 * const llm = new LLMAttribution('FeatureAblation', featureAblationFn, lm)
 * const res = await llm.attribute(new TextTokenInput(prompt, lm), ' playing golf')
 * res.tokenAttr![0] // attributions of log p(" playing" | prompt) to each prompt token
 */
export class LLMAttribution {
  readonly includePerTokenAttr: boolean

  constructor(
    readonly methodName: PerturbationMethodName,
    private readonly attributeFn: PerturbationAttributeFn,
    private readonly lm: LlmScorer,
    readonly attrTarget: 'log_prob' | 'prob' = 'log_prob',
  ) {
    // Per-token methods' forward returns `[Σ_k logp_k, logp_1, …, logp_T]` (Captum's token_attr).
    this.includePerTokenAttr = METHOD_REGISTRY[methodName].perTokenOutput
  }

  /** Target ids: a string is encoded without special tokens and `skipTokens` removed; null generates. */
  async resolveTarget(inp: InterpretableInput, target: string | number[] | null, options: LlmAttributeOptions = {}): Promise<number[]> {
    let ids: number[]
    if (target === null) {
      ids = await this.lm.generate(inp.originalIds(), { maxNewTokens: options.maxNewTokens ?? 25 })
    }
    else if (typeof target === 'string') {
      const skip = new Set((options.skipTokens ?? []).map(t => typeof t === 'number' ? t : this.lm.convertTokensToIds([t])[0]))
      ids = this.lm.encode(target).filter(id => !skip.has(id))
    }
    else {
      ids = target.slice()
    }
    if (ids.length === 0)
      throw new AttributionError('empty-input', target === null ? 'The model generated no tokens to explain.' : 'The target is empty.')
    return ids
  }

  /**
   * The forward over masks: row r → `[Σ_k logp_k, logp_1..T]` (per-token methods) or
   * `[Σ_k logp_k]` (Lime, KernelShap); exp() of those for attrTarget 'prob'.
   */
  makeForward(inp: InterpretableInput, targetIds: number[]): MaskForward {
    return interpretableForward(this.lm, inp, targetIds, { perToken: this.includePerTokenAttr, attrTarget: this.attrTarget })
  }

  /**
   * Captum's `LLMAttribution.attribute(inp, target, num_trials, **kwargs)`.
   *
   * @example
   * const res = await llm.attribute(inp, null, { maxNewTokens: 5 })
   */
  async attribute(inp: InterpretableInput, target: string | number[] | null, options: LlmAttributeOptions = {}, control?: RunControl): Promise<LlmAttributionResult> {
    const targetIds = await this.resolveTarget(inp, target, options)
    const promptLen = inp.originalIds().length
    if (promptLen === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    if (promptLen + targetIds.length > this.lm.nPositions)
      throw new AttributionError('too-long', `Prompt (${promptLen} tokens) + target (${targetIds.length}) is longer than the model's context (${this.lm.nPositions} tokens).`)
    const numTrials = options.numTrials ?? 1
    if (!Number.isInteger(numTrials) || numTrials < 1)
      throw new AttributionError('bad-request', `numTrials must be a positive integer (got ${numTrials}).`)

    const forward = this.makeForward(inp, targetIds)
    const nOut = this.includePerTokenAttr ? 1 + targetIds.length : 1
    const sum: number[][] = Array.from({ length: nOut }, () => Array.from({ length: inp.nFeatures }, () => 0))
    for (let t = 0; t < numTrials; t++) {
      const seed = options.seed === undefined ? undefined : options.seed + t
      const attr = await this.attributeFn(forward, inp.nFeatures, { ...options, seed }, control) // [nOut][nFeatures]
      if (attr.length !== nOut || attr.some(r => r.length !== inp.nFeatures))
        throw new AttributionError('backend', `${this.methodName} returned attributions of the wrong shape.`)
      attr.forEach((row, i) => row.forEach((v, j) => {
        sum[i][j] += v
      }))
    }
    let attr = sum.map(row => row.map(v => v / numTrials))
    // Template groups → one value per slot (Captum's format_attr).
    const fmt = (inp as { formatAttr?: (a: number[][]) => number[][] }).formatAttr
    if (fmt)
      attr = fmt.call(inp, attr)
    return {
      seqAttr: attr[0],
      tokenAttr: this.includePerTokenAttr ? attr.slice(1) : null,
      inputTokens: inp.values.slice(),
      outputTokens: prettyTokens(targetIds, this.lm),
      targetIds,
    }
  }
}
