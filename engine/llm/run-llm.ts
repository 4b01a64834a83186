/**
 * `npm run attribute` / the deck's entry point for LLM perturbation requests: loads (and
 * caches) the causal LM, builds Captum's interpretable input, runs LLMAttribution with the
 * requested method, and answers in the `LlmResponse` shape of `engine/api.ts`.
 */
import type { AttributionRequest, LlmResponse, PerturbationMethodName } from '../api'
import type { RunControl } from '../core/types'
import type { InterpretableInput } from '../inputs/tokenizer'
import type { CausalLm, CausalLmOptions } from '../models/causal-lm'
import type { ReplayDraws } from './llm-attribution'
import { AttributionError } from '../core/errors'
import { ProductBaselines } from '../inputs/product-baselines'
import { TextTemplateInput } from '../inputs/text-template-input'
import { TextTokenInput } from '../inputs/text-token-input'
import { loadCausalLm } from '../models/causal-lm'
import { methodsOf } from '../registry'
import { LLMAttribution } from './llm-attribution'
import { perturbationMethod } from './perturbation-methods'

/** A loaded model, or where to load one from (a folder in Node, a URL in the browser). */
export type LlmModelSource = CausalLm | string | { source: string, options?: CausalLmOptions }

const PERTURBATION: ReadonlySet<string> = new Set(methodsOf('perturbation'))

const cache = new Map<string, Promise<CausalLm>>()

/**
 * Loads a causal LM once per source (and options) and keeps it for later requests.
 *
 * @example
 * const lm = await getCausalLm('fixtures/tiny-gpt2')
 */
export function getCausalLm(source: LlmModelSource): Promise<CausalLm> {
  if (typeof source !== 'string' && !('source' in source))
    return Promise.resolve(source)
  const { source: path, options } = typeof source === 'string' ? { source, options: undefined } : source
  const key = `${path}\0${options?.dtype ?? 'fp32'}\0${options?.scorer ?? 'attribution-graph'}\0${options?.scoreMemo ?? 'memo'}`
  let p = cache.get(key)
  if (!p) {
    p = loadCausalLm(path, options)
    cache.set(key, p)
    p.catch(() => cache.delete(key))
  }
  return p
}

/** Builds Captum's interpretable input for a request (exported for tests and the deck). */
export function buildLlmInput(request: AttributionRequest, lm: CausalLm): InterpretableInput {
  const input = request.input
  const options = request.options ?? {}
  if (!input || typeof input !== 'object')
    throw new AttributionError('bad-request', 'The request has no input.')
  if (input.type === 'text') {
    if (typeof input.text !== 'string' || input.text.length === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    return new TextTokenInput(input.text, lm, { baselines: options.baselineToken ?? 0, skipTokens: options.skipTokens })
  }
  if (input.type === 'template') {
    const baselines = input.productBaselines
      ? new ProductBaselines(input.productBaselines, options.seed ?? 0)
      : input.baselines ?? null
    return new TextTemplateInput(input.template, input.values, lm, { baselines, mask: input.mask ?? null })
  }
  throw new AttributionError('bad-request', `An LLM request takes a "text" or "template" input, not "${(input as { type: string }).type}".`)
}

/**
 * Runs one LLM perturbation attribution request (FeatureAblation, ShapleyValues,
 * ShapleyValueSampling, Lime, KernelShap) with Captum 0.8 semantics. `replay` (tests
 * only) replays recorded draws instead of the seeded RNG.
 *
 * @example
 * const res = await runLlmRequest({
 *   model: 'fixtures/tiny-gpt2', method: 'FeatureAblation',
 *   input: { type: 'text', text: 'Dave lives in Palm Coast' }, target: ' and plays golf',
 * }, 'fixtures/tiny-gpt2')
 * res.seqAttr.length === res.inputTokens.length
 */
export async function runLlmRequest(request: AttributionRequest, modelSource: LlmModelSource, control?: RunControl, replay: ReplayDraws = {}): Promise<LlmResponse> {
  const t0 = Date.now()
  if (!PERTURBATION.has(request.method))
    throw new AttributionError('bad-request', `${request.method} is not a perturbation method (the gradient methods run through LLMGradientAttribution).`)
  const method = request.method as PerturbationMethodName
  const options = request.options ?? {}
  if (request.target !== undefined && request.target !== null && typeof request.target !== 'string')
    throw new AttributionError('bad-request', 'An LLM target is a string, or null to generate one.')
  const attrTarget = options.attrTarget ?? 'log_prob'
  if (attrTarget !== 'log_prob' && attrTarget !== 'prob')
    throw new AttributionError('bad-request', `attrTarget must be "log_prob" or "prob" (got "${attrTarget}").`)

  control?.onProgress?.({ done: 0, total: 1, phase: 'loading model' })
  const lm = await getCausalLm(modelSource)
  const before = { ...lm.stats }
  const inp = buildLlmInput(request, lm)
  const fn = await perturbationMethod(method)
  const llm = new LLMAttribution(method, fn, lm, attrTarget)
  const target = request.target ?? null
  const res = await llm.attribute(inp, target, { ...options, ...replay, maxNewTokens: options.maxNewTokens ?? 25 }, control)
  return {
    kind: 'llm',
    inputTokens: res.inputTokens,
    outputTokens: res.outputTokens,
    seqAttr: res.seqAttr,
    tokenAttr: res.tokenAttr,
    targetIds: res.targetIds,
    stats: {
      forwardCalls: lm.stats.forwardCalls - before.forwardCalls,
      rows: lm.stats.rows - before.rows,
      tokens: lm.stats.tokens - before.tokens,
      rememberedRows: (lm.stats.rememberedRows ?? 0) - (before.rememberedRows ?? 0),
      ms: Date.now() - t0,
      backend: lm.device,
      scorer: lm.scorer,
    },
  }
}
