/**
 * `runRequest`: the one code path behind the CLI, the deck's worker, the bake step,
 * the tests and the benchmarks. It tells the model kind from the folder's files and
 * hands the request to that kind's runner.
 */
import type { AttributionRequest, AttributionResponse, LlmResponse } from './api'
import type { ModelFiles } from './core/files'
import type { RunControl } from './core/types'
import type { HubModel } from './models/hub'
import type { MetricName } from './registry'
import type { LoadProgress } from './worker-protocol'
import { LRUCache } from 'lru-cache'
import { LLM_GRADIENT_METHODS } from './api'
import { AttributionError } from './core/errors'
import { TFJS_WASM_THREADS } from './core/platform'
import { requestKeyOf } from './core/request-key'
import { metricsStage } from './metrics/stage'
import { isMethodName, METHOD_NAMES, METHOD_REGISTRY, validateMetrics, validateOptions, withDefaults } from './registry'

/** Where a request's `model` lives. */
export interface ModelLocation {
  /** The request's model string (a folder in Node, a model name in the browser). */
  name: string
  files: ModelFiles
  /** Node: the folder path; browser: the URL prefix that holds the folder. */
  root: string
  /** Set when the model comes from the Hugging Face hub (then `files` is this too). */
  hub?: HubModel
}

/** How the runners reach models and runtimes in this environment (Node or browser). */
export interface EngineEnv {
  /** May look around first (the browser checks `public/models/`, then the hub). */
  locate: (model: string) => ModelLocation | Promise<ModelLocation>
  /** Forbid remote (hub) model loading. */
  offline?: boolean
  ortWasmPaths?: { wasm: string, mjs: string }
  tfWasmPaths?: Record<string, string>
  preferWebGpu?: boolean
  /** Scored LLM rows to remember per model (default 20 000; 0: none, for the benchmarks). */
  scoreMemo?: number
  onLoad?: (load: LoadProgress) => void
  onBackend?: (backend: string) => void
}

export type ModelKind = 'bow' | 'gpt2'

/**
 * Which runner a model folder needs: `bow.json` marks our BoW format; a Hugging Face
 * `config.json` of `model_type` gpt2 marks a causal LM.
 *
 * @example
 * await detectModelKind(nodeFiles('public/models/bow')) // 'bow'
 */
export async function detectModelKind(files: ModelFiles): Promise<ModelKind> {
  // Folders we write carry a manifest naming their kind: one request, no 404 probing.
  if (await files.exists('manifest.json')) {
    const kind = (JSON.parse(await files.readText('manifest.json')) as { kind?: string }).kind
    if (kind === 'bow' || kind === 'gpt2')
      return kind
  }
  if (await files.exists('bow.json'))
    return 'bow'
  if (await files.exists('config.json')) {
    const config = JSON.parse(await files.readText('config.json')) as { model_type?: string }
    if (config.model_type === 'gpt2')
      return 'gpt2'
    throw new AttributionError('unsupported', `${files.location}config.json is a ${config.model_type ?? 'unknown'} model; this engine runs GPT-2 models and the BoW classifier.`)
  }
  throw new AttributionError('missing-model', `No model at ${files.location}: expected bow.json (BoW classifier) or config.json (GPT-2).`)
}

/**
 * Runs one attribution request end to end.
 *
 * @example
 * const res = await runRequest(
 *   { model: 'public/models/bow', method: 'Saliency', input: { type: 'text', text: 'I love this game!' } },
 *   nodeEnv(),
 * )
 */
export async function runRequest(given: AttributionRequest, env: EngineEnv, control: RunControl = {}): Promise<AttributionResponse> {
  validateRequest(given)
  let request = given
  const location = await env.locate(request.model)
  const kind = await detectModelKind(location.files)
  if (!METHOD_REGISTRY[request.method].kinds.includes(kind))
    throw new AttributionError('bad-request', `${request.method} runs on the ${METHOD_REGISTRY[request.method].kinds.map(k => k === 'bow' ? 'BoW' : 'GPT-2').join(' and ')} model, not on ${request.model}.`)
  validateOptions(request.method, request.options, kind)
  // The registry's defaults, filled in once: every runner below reads complete options.
  request = { ...request, options: withDefaults(request.method, kind, request.options) }
  // validateRequest checked the names.
  const metrics = (request.metrics ?? []) as MetricName[]
  // The method runs without its metrics; the metrics stage follows, the same for both kinds.
  const methodRequest: AttributionRequest = { ...request, metrics: undefined }
  if (kind === 'bow') {
    const { runBow } = await import('./bow/run-bow')
    const { response, metricsSubject } = await runBow(methodRequest, location.files, control, {
      prefer: env.preferWebGpu === false ? ['wasm', 'cpu'] : undefined,
      wasmPaths: env.tfWasmPaths,
      onBackend: env.onBackend,
    })
    if (metrics.length)
      Object.assign(response, await metricsStage(metrics, metricsSubject(), control))
    return withThreads(TFJS_WASM_THREADS, response)
  }
  const llmSource = {
    // A hub model is cached under its repos and revisions; a folder under its path or URL.
    source: location.hub ? location.hub.id : location.name.startsWith('/') || location.name.startsWith('.') ? location.name : `${location.root}${location.name}`,
    options: {
      wasmPaths: env.ortWasmPaths,
      // Never transformers.js's own hub access: a hub model goes through `hub` (engine/models/hub.ts).
      allowRemoteModels: false,
      files: location.files,
      hub: location.hub,
      ...(env.preferWebGpu === false ? { device: ['wasm'] as Array<'wasm'> } : {}),
      dtype: request.options?.dtype,
      scoreMemo: env.scoreMemo,
      onLoadProgress: (p: { file?: string, loaded?: number, total?: number }) => {
        if (p.file && p.total)
          env.onLoad?.({ file: p.file, loaded: p.loaded ?? 0, total: p.total, source: 'local' as const })
      },
    },
  }
  const { getCausalLm, runLlmRequest } = await import('./llm/run-llm')
  const gradientMethod = (LLM_GRADIENT_METHODS as readonly string[]).includes(request.method)
  const runMethod = async (r: AttributionRequest, c: RunControl): Promise<LlmResponse> => {
    const key = `${llmSource.source}\0${requestKeyOf(r)}`
    const remember = env.scoreMemo !== 0
    const kept = remember ? keptLlmResult(key) : undefined
    if (kept)
      return kept
    let res: LlmResponse
    if (!gradientMethod) {
      res = await runLlmRequest(r, llmSource, c)
    }
    else {
      const { runLlmGradientRequest } = await import('./llm/gradient-attribution')
      res = await runLlmGradientRequest(r, llmSource, c)
    }
    if (remember)
      keepLlmResult(key, res)
    return res
  }
  const response = await runMethod(methodRequest, control)
  if (metrics.length) {
    const t0 = Date.now()
    const { llmMetricsSubject } = await import('./llm/faithfulness')
    const lm = await getCausalLm(llmSource)
    // Sensitivity explains perturbed inputs again: the same method, on the same session.
    const subject = llmMetricsSubject(request, response, { lm, rerun: r => runMethod({ ...r, metrics: undefined }, { signal: control.signal }) })
    response.metrics = { ...await metricsStage(metrics, subject, control), ms: Date.now() - t0 }
  }
  // Every LLM method runs on the same ONNX Runtime session.
  return withThreads((await getCausalLm(llmSource)).threads, response)
}

/**
 * LLM method results by model and request, so that a metrics request reuses the run of
 * its method that an earlier slide made (the faithfulness table's LayerIntegratedGradients
 * row is slide 17's run): exact, as every sampled method is seeded. Off where rows are
 * not remembered either (`scoreMemo: 0`, the benchmarks).
 */
const llmResults = new LRUCache<string, LlmResponse>({ max: 64 })

function keepLlmResult(key: string, res: LlmResponse): void {
  llmResults.set(key, structuredClone(res))
}

/** A copy of a kept result whose stats say what this run did: no row ran, all were remembered. */
function keptLlmResult(key: string): LlmResponse | undefined {
  const kept = llmResults.get(key)
  if (!kept)
    return undefined
  const copy = structuredClone(kept)
  copy.stats = { ...copy.stats, forwardCalls: 0, rows: 0, tokens: 0, ms: 0, rememberedRows: kept.stats.rows + (kept.stats.rememberedRows ?? 0) }
  return copy
}

/** Says on a WASM result how many threads it was allowed (the badge: "WASM · 1 thread"). */
function withThreads<R extends AttributionResponse>(threads: number, response: R): R {
  if (response.stats?.backend === 'wasm')
    response.stats.threads = threads
  return response
}

/** Rejects malformed requests with one clear line (the CLI prints it on stderr). */
export function validateRequest(request: AttributionRequest): void {
  if (!request || typeof request !== 'object')
    throw new AttributionError('bad-request', 'The request must be a JSON object.')
  if (typeof request.model !== 'string' || !request.model)
    throw new AttributionError('bad-request', 'The request needs "model": a model folder.')
  if (!isMethodName(request.method))
    throw new AttributionError('bad-request', `Unknown method "${String(request.method)}". Use one of: ${METHOD_NAMES.join(', ')}.`)
  validateOptions(request.method, request.options)
  validateMetrics(request.metrics)
  const input = request.input as { type?: string } | undefined
  if (!input || !['text', 'tokens', 'template'].includes(input.type ?? ''))
    throw new AttributionError('bad-request', 'The request needs "input" of type "text", "tokens" or "template".')
}
