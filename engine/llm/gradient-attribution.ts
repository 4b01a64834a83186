/**
 * Captum 0.8's `LLMGradientAttribution` with the layer methods on the token-embedding
 * output (`LayerIntegratedGradients(model, model.transformer.wte)`, and likewise
 * `LayerGradientXActivation`, `LayerGradientShap`).
 *
 * For target token k, F_k = log_softmax(logits at the last position)[target_k] of
 * `prompt + target[:k]`. Captum runs one attribute() per k, each with its own forward
 * passes. With a causal model, position P−1+k of a single teacher-forced sequence
 * `prompt + target[:-1]` sees exactly `prompt + target[:k]`, so every (alpha, k) pair is
 * one independent batch row whose loss is that row's F_k; one gradient of Σ_rows F gives
 * each row's own ∂F_k/∂x (rows do not interact). All rows go through as few passes as
 * the memory budget allows.
 *
 * This module never touches a tensor: it gets embeddings and per-row gradients from an
 * `EmbeddingGradientModel` (`engine/models/gpt2-session.ts` is one).
 */
import type { AttributionRequest, LlmGradientMethodName, LlmResponse } from '../api'
import type { RunControl } from '../core/types'
import type { LayerGradientFn, LayerPath } from '../methods/layer-attribution'
import type { LlmModelSource } from './run-llm'
import { LLM_GRADIENT_METHODS } from '../api'
import { AttributionError, throwIfAborted } from '../core/errors'
import { approximationParameters } from '../core/quadrature'
import { LayerGradientShap } from '../methods/layer-gradient-shap'
import { LayerGradientXActivation } from '../methods/layer-gradient-x-activation'
import { LayerIntegratedGradients } from '../methods/layer-integrated-gradients'
import { getCausalLm } from './run-llm'

/** The sizes the memory estimate needs. */
export interface GradientModelDims {
  nLayer: number
  nEmbd: number
  nHead: number
  nPositions: number
  vocabSize: number
}

/** What LLMGradientAttribution needs from a causal LM (a `Gpt2Session` satisfies it). */
export interface EmbeddingGradientModel {
  readonly config: GradientModelDims
  /** Token-embedding layer output for `ids`, row-major [L, E]. */
  embed: (ids: number[]) => Promise<Float32Array>
  /**
   * Row r: embeddings [seqLen, E], scored at K = positions.length / rows pairs:
   * F_rk = log_softmax(logits[r, positions[r·K + k]])[targets[r·K + k]]. Returns F [rows, K]
   * and ∂F_rk/∂x_r for the first `gradPositions` positions [rows, K, gradPositions, E].
   * The K pairs of a row share its forward pass.
   */
  logProbGrads: (embeds: Float32Array, rows: number, seqLen: number, positions: ArrayLike<number>, targets: ArrayLike<number>, gradPositions: number) => Promise<{ logProbs: Float32Array, grads: Float32Array }>
}

/** The prompt as Captum's `TextTokenInput` holds it (a `TextTokenInput` satisfies it). */
export interface TokenInputLike {
  /** Prompt ids. */
  ids: number[]
  /** Positions in `ids` that are features (all but `skipTokens`). */
  featurePositions: number[]
  /** The id an absent feature becomes (Captum default 0, "!" in GPT-2). */
  baselineId: number
}

export interface LlmGradientOptions {
  /** LayerIntegratedGradients: integration points (Captum default 50). */
  nSteps?: number
  /** LayerIntegratedGradients: 'gausslegendre' (default) or a Riemann rule. */
  method?: string
  /** LayerGradientShap: random alphas per target token (Captum default 5). */
  nSamples?: number
  /** LayerGradientShap: only 0 is supported (Captum would add noise to the integer token tensor). */
  stdevs?: number
  /** LayerGradientShap: seed of the alpha draws. */
  seed?: number
  /** Rows per gradient pass (default: as many as the memory budget allows). */
  internalBatchSize?: number
  /** Bytes one gradient pass may use (default `DEFAULT_GRADIENT_MEMORY_BYTES`). */
  memoryBudgetBytes?: number
  /** 'log_prob' (default) explains log p(target_k); 'prob' explains p(target_k). */
  attrTarget?: 'log_prob' | 'prob'
  /** LayerIntegratedGradients: also return Σ attr − (F(x) − F(x′)) per target token (2 rows per token more). */
  returnConvergenceDelta?: boolean
}

export interface LlmGradientResult {
  /** Σ_k tokenAttr[k], [nFeatures]. */
  seqAttr: number[]
  /** [T][nFeatures]: row k explains F_k. */
  tokenAttr: number[][]
  /** LayerIntegratedGradients with `returnConvergenceDelta`: per target token, signed. */
  convergenceDelta?: number[]
  /** Gradient passes made and rows sent through them. */
  passes: number
  rows: number
  /** Σ over passes of rows × sequence length. */
  tokens: number
}

/** One gradient pass may use this many bytes unless told otherwise (1 GiB). */
export const DEFAULT_GRADIENT_MEMORY_BYTES = 1024 ** 3

/**
 * An estimate of the bytes one gradient pass over `rows` sequences of `seqLen` tokens
 * keeps alive at its peak in the attribution graph (`engine/models/gpt2-attribution-graph.ts`),
 * counted from the graph: per layer and token, the forward values the backward reads
 * (LayerNorm x̂ twice, q/k/v in two layouts, the MLP's pre-activation and tanh, ~16·E
 * floats) plus the transients of one backward block (~48·E, the MLP's [N, 4E] products
 * dominating), and the attention probabilities and their gradient (~4·H·seqLen); per row,
 * ~8·V floats for the LM head's logits, softmax and its gradient at one position. Rows
 * are counted as if each had its own forward: an upper bound, since the rows of one IG
 * step share theirs (the saved forward values are held once per step) and a pass never
 * sends more (step, target) pairs than it has rows.
 *
 * @example
 * estimateGradientBytes({ nLayer: 6, nEmbd: 768, nHead: 12, nPositions: 1024, vocabSize: 50257 }, 1, 22) // ≈ 2.8e7
 */
export function estimateGradientBytes(dims: GradientModelDims, rows: number, seqLen: number): number {
  const { nLayer, nEmbd: E, nHead: H, vocabSize: V } = dims
  const perRow = nLayer * seqLen * (64 * E + 4 * H * seqLen) + 8 * V
  return 4 * rows * perRow
}

/**
 * Captum's `LLMGradientAttribution(attr_method, tokenizer)` for a layer method on the token
 * embeddings: a thin adapter from the layer methods of `engine/methods/` (which plan the
 * path rows and combine the gradients) to the causal LM. Path k is target token k: the
 * prompt's embeddings [P, E] between the baseline's and the input's, followed by the fixed
 * embeddings of target[:k]; F_k is the log-prob (or prob) of target_k at position P−1+k.
 *
 * @example
 * const lig = new LLMGradientAttribution('LayerIntegratedGradients', model)
 * const res = await lig.attribute({ ids: promptIds, featurePositions: promptIds.map((_, i) => i), baselineId: 0 }, targetIds, { nSteps: 25 })
 * res.tokenAttr[0] // attribution of log p(target_0 | prompt) to each prompt token
 */
export class LLMGradientAttribution {
  constructor(readonly methodName: LlmGradientMethodName, private readonly model: EmbeddingGradientModel) {
    if (!LLM_GRADIENT_METHODS.includes(methodName))
      throw new AttributionError('bad-request', `${methodName} is not an LLM gradient method (${LLM_GRADIENT_METHODS.join(', ')}).`)
  }

  /**
   * Attributes each target token's F_k to the prompt features.
   *
   * @example
   * const res = await new LLMGradientAttribution('LayerGradientXActivation', model).attribute(inp, [2712, 13126])
   * res.seqAttr // [nFeatures]
   */
  async attribute(inp: TokenInputLike, targetIds: number[], options: LlmGradientOptions = {}, control: RunControl = {}): Promise<LlmGradientResult> {
    const { nEmbd: E, nPositions } = this.model.config
    const P = inp.ids.length
    const T = targetIds.length
    if (P === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    if (T === 0)
      throw new AttributionError('empty-input', 'The target is empty.')
    if (inp.featurePositions.length === 0)
      throw new AttributionError('empty-input', 'The prompt has no tokens to attribute (all are skipped).')
    if (options.internalBatchSize !== undefined && (!Number.isInteger(options.internalBatchSize) || options.internalBatchSize < 1))
      throw new AttributionError('bad-request', `internalBatchSize must be a positive integer (got ${options.internalBatchSize}).`)
    // The last target token is predicted from prompt + target[:-1].
    const L = P + T - 1
    if (L > nPositions)
      throw new AttributionError('too-long', `Prompt + target is ${P + T} tokens; the model reads at most ${nPositions} (+1 predicted).`)
    // The memory check happens before any model call: a pass holds at most `fit` rows.
    const budget = options.memoryBudgetBytes ?? DEFAULT_GRADIENT_MEMORY_BYTES
    const perRow = estimateGradientBytes(this.model.config, 1, L)
    const fit = Math.floor(budget / perRow)
    if (fit < 1)
      throw new AttributionError('too-long', `Prompt + target (${P + T} tokens) needs about ${(perRow / 2 ** 20).toFixed(0)} MiB per gradient row, over the ${(budget / 2 ** 20).toFixed(0)} MiB budget: shorten the prompt or the target.`)
    // Without a given size, a pass of LayerIntegratedGradients holds whole steps (T rows
    // each) where they fit, so that every sequence in it serves all T target tokens
    // (LayerGradientShap's random alphas share nothing; LayerGradientXActivation is one step).
    const wholeSteps = this.methodName === 'LayerIntegratedGradients' && fit >= T
    const internalBatchSize = Math.min(options.internalBatchSize ?? (wholeSteps ? fit - (fit % T) : fit), fit)
    if (this.methodName === 'LayerIntegratedGradients')
      approximationParameters(options.method ?? 'gausslegendre', options.nSteps ?? 50) // a bad rule is a bad request before any work

    // Token-embedding layer outputs of the input and the baseline: [L, E] each. The target
    // positions hold the real target tokens in both, so only the prompt is a path.
    const seqIds = [...inp.ids, ...targetIds.slice(0, -1)]
    const baseIds = seqIds.slice()
    for (const p of inp.featurePositions) baseIds[p] = inp.baselineId
    const x = await this.model.embed(seqIds)
    const xb = this.methodName === 'LayerGradientXActivation' ? x : await this.model.embed(baseIds)
    const paths: LayerPath[] = targetIds.map(() => ({ input: x.subarray(0, P * E), baseline: xb.subarray(0, P * E), dim: E }))
    const prob = options.attrTarget === 'prob'
    let tokens = 0
    /** The rows of one alpha: one sequence, scored at each of its paths' target. */
    interface Step { alpha: number, paths: number[], logProbs?: Float32Array, grads?: Float32Array }
    const gradient: LayerGradientFn = async (rows) => {
      // Rows at the same alpha have the same embeddings (every path is the same prompt
      // path, followed by the real target tokens): one sequence per alpha, scored at each
      // of its rows' targets, so its forward pass is shared (an IG step costs one forward
      // and T backwards, not T of each). A row whose (alpha, path) came before (a
      // convergence-delta endpoint on a Riemann rule's end step) reads the same pair.
      const steps = new Map<number, Step>()
      const pairOf = rows.map((r) => {
        let step = steps.get(r.alpha)
        if (!step)
          steps.set(r.alpha, step = { alpha: r.alpha, paths: [] })
        let k = step.paths.indexOf(r.path)
        if (k < 0)
          k = step.paths.push(r.path) - 1
        return { step, k }
      })
      // One model call per number of pairs, so that no pair is padding and a pass never
      // holds more pairs than rows (a pass cut inside a step gives a shorter one at its ends).
      const bySize = new Map<number, Step[]>()
      for (const step of steps.values()) bySize.set(step.paths.length, [...(bySize.get(step.paths.length) ?? []), step])
      for (const [K, list] of bySize) {
        // Paths are target tokens in order, so a call only needs the prefix up to its largest
        // k: path k reads position P−1+k and, the model being causal, never sees what follows.
        const seqLen = P + Math.max(...list.flatMap(step => step.paths))
        const embeds = new Float32Array(list.length * seqLen * E) // [steps, seqLen, E]
        list.forEach(({ alpha }, b) => {
          const o = b * seqLen * E
          for (let j = 0; j < P * E; j++) embeds[o + j] = xb[j] + alpha * (x[j] - xb[j])
          embeds.set(x.subarray(P * E, seqLen * E), o + P * E)
        })
        const positions = list.flatMap(step => step.paths.map(k => P - 1 + k)) // [steps, K]
        const targets = list.flatMap(step => step.paths.map(k => targetIds[k]!))
        const { logProbs, grads } = await this.model.logProbGrads(embeds, list.length, seqLen, positions, targets, P)
        tokens += list.length * seqLen
        list.forEach((step, b) => {
          step.logProbs = logProbs.subarray(b * K, (b + 1) * K)
          step.grads = grads.subarray(b * K * P * E, (b + 1) * K * P * E) // [K, P, E]
        })
      }
      // attrTarget 'prob': F = exp(log p), dF/dx = exp(log p) · d log p/dx.
      const outputs = pairOf.map(({ step, k }) => prob ? Math.exp(step.logProbs![k]!) : step.logProbs![k]!)
      return {
        outputs,
        grads: pairOf.map(({ step, k }, i) => {
          const g = step.grads!.subarray(k * P * E, (k + 1) * P * E)
          return prob ? g.map(v => v * outputs[i]!) : g
        }),
      }
    }
    const res = this.methodName === 'LayerIntegratedGradients'
      ? await new LayerIntegratedGradients(gradient).attribute(paths, { nSteps: options.nSteps, method: options.method, internalBatchSize, returnConvergenceDelta: options.returnConvergenceDelta }, control)
      : this.methodName === 'LayerGradientShap'
        ? await new LayerGradientShap(gradient).attribute(paths, { nSamples: options.nSamples, stdevs: options.stdevs, seed: options.seed, internalBatchSize }, control)
        : await new LayerGradientXActivation(gradient).attribute(paths, { internalBatchSize }, control)

    // tokenAttr[k][feature]: skipped tokens are dropped (Captum's itp_mask).
    const tokenAttr = res.attributions.map(row => inp.featurePositions.map(p => row[p]))
    const seqAttr = inp.featurePositions.map((_, j) => tokenAttr.reduce((s, row) => s + row[j], 0))
    const result: LlmGradientResult = { seqAttr, tokenAttr, passes: res.passes, rows: res.rows, tokens }
    if (res.convergenceDelta)
      result.convergenceDelta = res.convergenceDelta
    return result
  }
}

/**
 * Runs one LLM gradient request (`LayerIntegratedGradients`, `LayerGradientXActivation`,
 * `LayerGradientShap`) on a `text` or `tokens` input (Captum's TextTokenInput) and answers
 * in the `LlmResponse` shape.
 *
 * @example
 * const res = await runLlmGradientRequest({
 *   model: 'gpt2-tiny', method: 'LayerIntegratedGradients', options: { nSteps: 25 },
 *   input: { type: 'text', text: 'Dave lives in Palm Coast' }, target: ' playing golf',
 * }, '/work/shared/captum-reference/gpt2-tiny')
 * res.tokenAttr![0].length === res.inputTokens.length
 */
export async function runLlmGradientRequest(request: AttributionRequest, modelSource: LlmModelSource, control: RunControl = {}): Promise<LlmResponse> {
  const t0 = Date.now()
  if (!LLM_GRADIENT_METHODS.includes(request.method as LlmGradientMethodName))
    throw new AttributionError('bad-request', `${request.method} is not an LLM gradient method (${LLM_GRADIENT_METHODS.join(', ')}).`)
  const options = request.options ?? {}
  const input = request.input
  if (!input || typeof input !== 'object')
    throw new AttributionError('bad-request', 'The request has no input.')
  if (input.type === 'template')
    throw new AttributionError('unsupported', 'LLMGradientAttribution takes a text (TextTokenInput) prompt, not a template (as in Captum).')
  control.onProgress?.({ done: 0, total: 1, phase: 'loading model' })
  // The same LM (and ONNX Runtime session) as the perturbation methods: one copy of the weights.
  const tokenizer = await getCausalLm(modelSource)
  const model = tokenizer.session
  if (!model)
    throw new AttributionError('unsupported', `The gradient methods run on the attribution graph, generated from ${tokenizer.location}model.safetensors: this model has none (or loads as ${tokenizer.dtype}).`)
  throwIfAborted(control.signal)

  let ids: number[]
  if (input.type === 'text') {
    if (typeof input.text !== 'string' || input.text.length === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    ids = tokenizer.encode(input.text)
  }
  else if (input.type === 'tokens') {
    ids = tokenizer.convertTokensToIds(input.tokens)
  }
  else {
    throw new AttributionError('bad-request', `An LLM request takes a "text" input, not "${(input as { type: string }).type}".`)
  }
  if (ids.length === 0)
    throw new AttributionError('empty-input', 'The prompt is empty.')
  const toId = (t: number | string) => typeof t === 'number' ? t : tokenizer.convertTokensToIds([t])[0]
  const skip = new Set((options.skipTokens ?? []).map(toId))
  const featurePositions = ids.flatMap((id, i) => skip.has(id) ? [] : [i])
  const inp: TokenInputLike = { ids, featurePositions, baselineId: toId(options.baselineToken ?? 0) }

  let targetIds: number[]
  if (request.target === null || request.target === undefined) {
    const maxNew = options.maxNewTokens ?? 25
    if (ids.length + maxNew > model.config.nPositions + 1)
      throw new AttributionError('too-long', `Prompt (${ids.length} tokens) + ${maxNew} generated tokens exceed the model's context (${model.config.nPositions}).`)
    control.onProgress?.({ done: 0, total: 1, phase: 'generating target' })
    targetIds = await model.generate(ids, maxNew, tokenizer.eosTokenId)
  }
  else if (typeof request.target === 'string') {
    targetIds = tokenizer.encode(request.target).filter(id => !skip.has(id))
  }
  else {
    throw new AttributionError('bad-request', 'An LLM target is a string, or null to generate it.')
  }
  if (targetIds.length === 0)
    throw new AttributionError('empty-input', 'The target is empty.')

  const method = new LLMGradientAttribution(request.method as LlmGradientMethodName, model)
  const res = await method.attribute(inp, targetIds, {
    nSteps: options.nSteps,
    method: options.method,
    nSamples: options.nSamples,
    stdevs: options.stdevs,
    seed: options.seed,
    internalBatchSize: options.internalBatchSize,
    attrTarget: options.attrTarget,
  }, control)

  return {
    kind: 'llm',
    inputTokens: tokenizer.convertIdsToTokens(featurePositions.map(p => ids[p])),
    // Captum's pretty output tokens: each token's text, `\n` escaped, stripped.
    outputTokens: targetIds.map(id => tokenizer.decode([id]).replace(/\n/g, '\\n').trim()),
    seqAttr: res.seqAttr,
    tokenAttr: res.tokenAttr,
    targetIds,
    stats: { forwardCalls: res.passes, rows: res.rows, ms: Date.now() - t0, tokens: res.tokens, backend: model.device, scorer: 'attribution-graph' },
  }
}
