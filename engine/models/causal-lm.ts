import type { ModelFiles } from '../core/files'
import type { ScoreRow } from '../core/score-rows'
import type { Gpt2Session } from './gpt2-session'
import type { LosableGpuDevice } from './gpu-device-watch'
import type { HubModel } from './hub'
/**
 * The causal language model runtime (GPT-2 family) on transformers.js + ONNX Runtime.
 * This is the only module that imports `@huggingface/transformers` for the LM: the LLM
 * attribution code sees a tokenizer and a batched teacher-forced scorer, never a tensor.
 */
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor } from '@huggingface/transformers'
import { AttributionError } from '../core/errors'
import { httpFiles } from '../core/files'
import { isBrowser, wasmThreads, webGpuAdapterAvailable } from '../core/platform'
import { planBatches, ScoreMemo, teacherForcedSequences, validateScoreRows } from '../core/score-rows'
import { llmTokenizerOf } from './gpt2-tokenizer'
import { watchGpuDevice } from './gpu-device-watch'

export type CausalLmDevice = 'webgpu' | 'wasm' | 'cpu'

/** How the LM scores: in the attribution graph (one session), or from transformers.js's full logits. */
export type CausalLmScorer = 'attribution-graph' | 'full-logits'

export interface CausalLmOptions {
  /** Let transformers.js fall back to the Hugging Face hub (default false: local files only). */
  allowRemoteModels?: boolean
  /** ORT wasm binaries served from our own origin (never a CDN): `{ wasm, mjs }` URLs or a folder URL. */
  wasmPaths?: string | { wasm?: string, mjs?: string }
  /** Devices to try in order. Default: ['webgpu', 'wasm'] in a browser, ['cpu'] in Node. */
  device?: CausalLmDevice | CausalLmDevice[]
  /** 'fp32' (default) or 'q8' (`onnx/model_quantized.onnx`). */
  dtype?: 'fp32' | 'q8'
  /** Loading progress, as transformers.js reports it (`{status, file, progress, loaded, total}`). */
  onLoadProgress?: (p: { status: string, file?: string, progress?: number, loaded?: number, total?: number }) => void
  /** Where the files are read for the existence checks; default: a folder in Node, HTTP in a browser. */
  files?: ModelFiles
  /**
   * Load from the Hugging Face hub through our fetch wrapper (`hub.ts`: progress, integrity,
   * Cache Storage) instead of a folder; `source` is then only a name. Set by the locator.
   */
  hub?: HubModel
  /**
   * 'attribution-graph' (default where `model.safetensors` exists and dtype is fp32): score,
   * generate and take gradients on one ONNX Runtime session of the graph generated from the
   * weights (`gpt2-session.ts`); transformers.js then only tokenizes. 'full-logits':
   * transformers.js's model and its [rows, len, vocab] logits (the fallback, and q8).
   */
  scorer?: CausalLmScorer
  /** Rows × padded length above which one scoring call is split into several forwards. Attribution graph: default 2048 (only [rows, K] floats come back). Full logits: default 256, which bounds the [rows, len, vocab] logits to ~50 MB; on CPU, ORT is faster with such small batches than with one huge output tensor. */
  maxBatchTokens?: number
  /**
   * How many scored rows to remember (`ScoreMemo`, default DEFAULT_SCORE_MEMO_ROWS); 0
   * remembers none, as the benchmarks need when they time the same request twice.
   */
  scoreMemo?: number
}

export type { ScoreRow } from '../core/score-rows'

/** Counters of the model work done so far (reported as `stats` by the LLM runs). */
export interface CausalLmStats {
  forwardCalls: number
  rows: number
  tokens: number
  /** Rows answered from the memory of scored rows (`ScoreMemo`), without a forward. */
  rememberedRows?: number
}

/** Scored rows remembered per model by default (each a few hundred bytes). */
export const DEFAULT_SCORE_MEMO_ROWS = 20_000

export interface CausalLm {
  /** The folder or URL the model came from. */
  readonly location: string
  /** The files it was loaded from (a folder, a URL prefix, or the hub's verified cache). */
  readonly files: ModelFiles
  /** Context length (`n_positions`). */
  readonly nPositions: number
  readonly vocabSize: number
  readonly eosTokenId: number
  /** The ONNX file actually used: 'model' or the legacy 'decoder_model_merged' (no position_ids). */
  readonly modelFile: 'model' | 'decoder_model_merged'
  readonly device: CausalLmDevice
  readonly dtype: 'fp32' | 'q8'
  /** Which scorer runs (the badge names the fallback). */
  readonly scorer: CausalLmScorer
  /** ONNX Runtime WASM threads (1 on WebGPU and where the page is not cross-origin isolated). */
  readonly threads: number
  /** The attribution-graph session (the gradient methods share it); absent on the full-logits scorer. */
  readonly session?: Gpt2Session
  readonly stats: CausalLmStats
  /** Token ids of `text`, no special tokens added (GPT-2 adds none anyway). */
  encode: (text: string) => number[]
  /** Text of `ids` (special tokens kept, tokenization spaces not cleaned up). */
  decode: (ids: number[]) => string
  /** Raw BPE strings, e.g. `Ġlives`. */
  convertIdsToTokens: (ids: number[]) => string[]
  /** Ids of raw BPE strings; throws `bad-request` for an unknown token. */
  convertTokensToIds: (tokens: string[]) => number[]
  /**
   * Teacher-forced log-probs, one forward per batch: row r gets
   * `[log p(t_1 | prompt), …, log p(t_T | prompt, t_<T)]` (float32 log_softmax values).
   */
  scoreTargets: (rows: ScoreRow[]) => Promise<Float32Array[]>
  /** Raw logits of a right-padded batch: result[r] is [len_r][vocab] flattened (tests, checks; full-logits scorer only). */
  logits: (rows: number[][]) => Promise<Float32Array[]>
  /** Greedy generation of at most `maxNewTokens` tokens (stops at EOS); returns only the new ids. */
  generate: (promptIds: number[], opts?: { maxNewTokens?: number }) => Promise<number[]>
  dispose: () => Promise<void>
}

// transformers.js keeps its settings in one global `env`: loads are serialised so two
// models from different folders never see each other's `localModelPath`.
let loadQueue: Promise<unknown> = Promise.resolve()

// transformers.js's own hub settings, restored for folder loads after a hub load changed them.
const TRANSFORMERS_REMOTE = { remoteHost: env.remoteHost, remotePathTemplate: env.remotePathTemplate }

/**
 * Registers ONNX Runtime's GPU device with the device-loss watch. ORT sets
 * `env.webgpu.device` (a device, or a promise of one) once a WebGPU session exists;
 * reading it earlier would create a device, so this runs only after such a load.
 */
async function watchOrtWebGpuDevice(): Promise<void> {
  try {
    const webgpu = (env.backends.onnx as { webgpu?: { device?: unknown } }).webgpu
    watchGpuDevice(await webgpu?.device as LosableGpuDevice | undefined, 'ONNX Runtime')
  }
  catch {
    // No device to watch: a loss then surfaces as a failed forward ('backend' error).
  }
}

function splitSource(source: string): { base: string, name: string } {
  const trimmed = source.replace(/\/+$/, '')
  const cut = trimmed.lastIndexOf('/')
  if (cut < 0)
    return { base: './', name: trimmed }
  let base = `${trimmed.slice(0, cut)}/`
  // transformers.js treats an absolute http(s) localModelPath as a *remote* URL (and
  // refuses it with allowRemoteModels=false): in the browser, give it the same-origin path.
  if (isBrowser && /^https?:\/\//.test(base) && typeof location !== 'undefined' && new URL(base).origin === location.origin)
    base = new URL(base).pathname
  return { base, name: trimmed.slice(cut + 1) }
}

async function defaultFiles(source: string): Promise<ModelFiles> {
  if (isBrowser || /^https?:\/\//.test(source))
    return httpFiles(source)
  const { nodeFiles } = await import('../node-files')
  return nodeFiles(source)
}

function toInt64(rows: number[][], len: number, pad: number): Tensor {
  const data = new BigInt64Array(rows.length * len)
  rows.forEach((row, r) => {
    for (let i = 0; i < len; i++)
      data[r * len + i] = BigInt(i < row.length ? row[i] : pad)
  })
  return new Tensor('int64', data, [rows.length, len])
}

function maskTensor(rows: number[][], len: number): Tensor {
  const data = new BigInt64Array(rows.length * len)
  rows.forEach((row, r) => {
    for (let i = 0; i < row.length; i++)
      data[r * len + i] = 1n
  })
  return new Tensor('int64', data, [rows.length, len])
}

/**
 * log_softmax(logits)[id], accumulated in float64 and rounded to float32 like torch's result.
 *
 * @example
 * logProbAt(Float32Array.of(0, 0), 0, 2, 1) // log(1/2) ≈ -0.6931
 */
export function logProbAt(logits: Float32Array, offset: number, vocab: number, id: number): number {
  let max = -Infinity
  for (let v = 0; v < vocab; v++) {
    const x = logits[offset + v]
    if (x > max)
      max = x
  }
  let sum = 0
  for (let v = 0; v < vocab; v++)
    sum += Math.exp(logits[offset + v] - max)
  return Math.fround(logits[offset + id] - max - Math.log(sum))
}

/**
 * Loads a GPT-2-style model in Hugging Face / Xenova layout: `config.json`, the tokenizer
 * files and `onnx/model.onnx` (or the legacy `onnx/decoder_model_merged.onnx`).
 * In Node `source` is a folder path; in the browser a URL such as `${BASE_URL}models/distilgpt2`.
 *
 * @example
 * const lm = await loadCausalLm('../shared/captum-reference/gpt2-tiny')
 * const [logps] = await lm.scoreTargets([{ promptIds: lm.encode('Hello'), targetIds: lm.encode(' world') }])
 */
export function loadCausalLm(source: string, options: CausalLmOptions = {}): Promise<CausalLm> {
  const run = loadQueue.then(async () => remembering(await load(source, options), options.scoreMemo ?? DEFAULT_SCORE_MEMO_ROWS))
  loadQueue = run.catch(() => undefined)
  return run
}

/** The same model, with its scored rows remembered (whichever scorer runs them). */
function remembering(lm: CausalLm, capacity: number): CausalLm {
  if (capacity <= 0)
    return lm
  const memo = new ScoreMemo(capacity)
  const scoreTargets = lm.scoreTargets
  lm.stats.rememberedRows ??= 0
  return {
    ...lm,
    async scoreTargets(rows) {
      const before = memo.hits
      const out = await memo.score(rows, scoreTargets)
      lm.stats.rememberedRows! += memo.hits - before
      return out
    },
  }
}

async function load(source: string, options: CausalLmOptions): Promise<CausalLm> {
  const hub = options.hub
  const files = hub ?? options.files ?? await defaultFiles(source)
  const dtype = options.dtype ?? 'fp32'
  const suffix = dtype === 'q8' ? '_quantized' : ''
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!await files.exists(name))
      throw new AttributionError('missing-model', `Model file ${files.location}${name} is missing.`)
  }
  // The scorer is chosen here, once: the attribution graph wherever its weights are there.
  const graphScorer = (options.scorer ?? 'attribution-graph') === 'attribution-graph' && dtype === 'fp32' && await files.exists('model.safetensors')
  let modelFile: 'model' | 'decoder_model_merged'
  if (await files.exists(`onnx/model${suffix}.onnx`))
    modelFile = 'model'
  else if (await files.exists(`onnx/decoder_model_merged${suffix}.onnx`))
    modelFile = 'decoder_model_merged'
  else if (graphScorer)
    modelFile = 'model' // not read: the graph comes from model.safetensors
  else
    throw new AttributionError('missing-model', `No ONNX model in ${files.location}onnx/ (expected model${suffix}.onnx or decoder_model_merged${suffix}.onnx).`)

  const { base, name: folderName } = splitSource(source)
  let name = folderName
  let revision: string | undefined
  if (hub) {
    // Every file transformers.js asks for is answered from our verified bytes (customCache,
    // looked up by its hub URL) before it would fetch anything itself: the hub download,
    // its progress and its integrity checks are ours. Remote stays allowed only so that
    // transformers.js consults that cache for hub URLs at all.
    name = hub.spec.onnxRepo
    revision = hub.revision(name)
    await hub.prefetch(['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', ...(graphScorer ? [] : [`onnx/${modelFile}${suffix}.onnx`])])
    env.allowLocalModels = false
    env.allowRemoteModels = true
    env.remoteHost = `${hub.hubUrl}/`
    env.remotePathTemplate = '{model}/resolve/{revision}/'
    env.useCustomCache = true
    env.customCache = hub.transformersCache() as typeof env.customCache
  }
  else {
    env.useCustomCache = false
    env.customCache = null
    env.remoteHost = TRANSFORMERS_REMOTE.remoteHost
    env.remotePathTemplate = TRANSFORMERS_REMOTE.remotePathTemplate
    env.allowLocalModels = true
    env.allowRemoteModels = options.allowRemoteModels ?? false
    env.localModelPath = base
    // Our own server is the source of truth for local folders: no stale copy in Cache Storage.
    env.useBrowserCache = false
  }
  if (options.wasmPaths !== undefined) {
    const onnxEnv = env.backends.onnx as { wasm?: { wasmPaths?: unknown } }
    onnxEnv.wasm ??= {}
    onnxEnv.wasm.wasmPaths = options.wasmPaths
  }
  if (isBrowser) {
    // Every core when the page is cross-origin isolated, else 1 (engine/core/platform.ts).
    const onnxEnv = env.backends.onnx as { wasm?: { numThreads?: number } }
    onnxEnv.wasm ??= {}
    onnxEnv.wasm.numThreads = wasmThreads()
  }

  // Hub loads report their bytes from hub.ts (source 'hub' | 'cache'), not from transformers.js.
  const progress_callback = options.onLoadProgress && !hub
    ? (p: unknown) => options.onLoadProgress!(p as { status: string })
    : undefined
  const corrupt = (what: string, e: unknown): AttributionError =>
    new AttributionError('corrupt-model', `Could not load the ${what} from ${files.location}: ${(e as Error)?.message ?? e} (truncated or malformed file?)`)

  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>
  try {
    tokenizer = await AutoTokenizer.from_pretrained(name, { progress_callback, ...(revision ? { revision } : {}) })
  }
  catch (e) {
    throw e instanceof AttributionError ? e : corrupt('tokenizer', e)
  }
  let config: Record<string, unknown>
  try {
    config = JSON.parse(await files.readText('config.json')) as Record<string, unknown>
  }
  catch (e) {
    throw corrupt('config.json', e)
  }

  const devices: CausalLmDevice[] = Array.isArray(options.device)
    ? options.device
    : options.device ? [options.device] : isBrowser ? ['webgpu', 'wasm'] : ['cpu']
  const tok = llmTokenizerOf(tokenizer)
  const nPositions = Number(config.n_positions ?? config.n_ctx ?? tokenizer.model_max_length ?? 1024)
  const vocabSize = Number(config.vocab_size ?? tok.vocabSize)
  const eosTokenId = Number(config.eos_token_id ?? tokenizer.eos_token_id ?? 50256)
  if (graphScorer) {
    let session: Gpt2Session | null = null
    try {
      const { gpt2Session } = await import('./gpt2-session')
      session = await gpt2Session(files, { device: devices, wasmPaths: options.wasmPaths, maxBatchTokens: options.maxBatchTokens })
    }
    catch (e) {
      // A config the generated graph does not cover: transformers.js's own export still may.
      if (!(e instanceof AttributionError) || e.code !== 'unsupported')
        throw e
    }
    if (session)
      return graphLm(session, files, tok, { nPositions, vocabSize, eosTokenId, dtype })
  }
  let model: Awaited<ReturnType<typeof AutoModelForCausalLM.from_pretrained>> | null = null
  let device: CausalLmDevice = devices[0]
  let lastError: unknown = null
  // navigator.gpu exists in Chromium even without an adapter, and a failed WebGPU start
  // leaves ORT unable to start another backend in this worker: ask for an adapter first.
  const hasAdapter = devices.includes('webgpu') && await webGpuAdapterAvailable()
  for (const d of devices) {
    if (d === 'webgpu' && !hasAdapter)
      continue
    try {
      model = await AutoModelForCausalLM.from_pretrained(name, {
        dtype,
        device: d,
        progress_callback,
        ...(revision ? { revision } : {}),
        ...(modelFile === 'decoder_model_merged' ? { model_file_name: 'decoder_model_merged' } : {}),
      } as Parameters<typeof AutoModelForCausalLM.from_pretrained>[1])
      device = d
      if (d === 'webgpu')
        await watchOrtWebGpuDevice()
      break
    }
    catch (e) {
      lastError = e
    }
  }
  // transformers.js and ORT hold their own copies now: free the prefetched hub bytes.
  hub?.releasePrefetched()
  if (!model)
    throw corrupt(`ONNX model (onnx/${modelFile}${suffix}.onnx, devices ${devices.join(', ')})`, lastError)
  const lm = model

  const maxBatchTokens = options.maxBatchTokens ?? 256
  const stats: CausalLmStats = { forwardCalls: 0, rows: 0, tokens: 0 }

  // One forward on a right-padded batch. Right padding keeps every real token at its
  // default position 0…len−1, so the legacy graph (no position_ids) is exact too.
  async function forwardBatch(rows: number[][]): Promise<{ data: Float32Array, len: number }> {
    const len = Math.max(...rows.map(r => r.length))
    const input_ids = toInt64(rows, len, eosTokenId)
    const attention_mask = maskTensor(rows, len)
    let out: { logits: Tensor }
    try {
      out = await (lm as unknown as (x: unknown) => Promise<{ logits: Tensor }>)({ input_ids, attention_mask })
    }
    catch (e) {
      throw new AttributionError('backend', `The model forward failed: ${(e as Error).message}`)
    }
    stats.forwardCalls++
    stats.rows += rows.length
    stats.tokens += rows.reduce((s, r) => s + r.length, 0)
    const data = out.logits.data as Float32Array // [B, len, vocab]
    return { data, len }
  }

  const chunks = (seqs: number[][]) => planBatches(seqs, maxBatchTokens)

  return {
    location: files.location,
    files,
    nPositions,
    vocabSize,
    eosTokenId,
    modelFile,
    device,
    dtype,
    scorer: 'full-logits',
    threads: device === 'wasm' ? wasmThreads() : 1,
    stats,
    encode: tok.encode,
    decode: tok.decode,
    convertIdsToTokens: tok.convertIdsToTokens,
    convertTokensToIds: tok.convertTokensToIds,
    async scoreTargets(rows) {
      validateScoreRows(rows, nPositions, vocabSize)
      const seqs = teacherForcedSequences(rows)
      const result: Float32Array[] = Array.from({ length: rows.length })
      for (const [a, b] of chunks(seqs)) {
        const { data, len } = await forwardBatch(seqs.slice(a, b))
        for (let r = a; r < b; r++) {
          const { promptIds, targetIds } = rows[r]
          const lp = new Float32Array(targetIds.length) // [T]
          for (let k = 0; k < targetIds.length; k++) {
            const pos = promptIds.length - 1 + k
            lp[k] = logProbAt(data, ((r - a) * len + pos) * vocabSize, vocabSize, targetIds[k])
          }
          result[r] = lp
        }
      }
      return result
    },
    async logits(rows) {
      const result: Float32Array[] = []
      for (const [a, b] of chunks(rows)) {
        const { data, len } = await forwardBatch(rows.slice(a, b))
        for (let r = a; r < b; r++) {
          const start = (r - a) * len * vocabSize
          result.push(data.slice(start, start + rows[r].length * vocabSize))
        }
      }
      return result
    },
    async generate(promptIds, opts = {}) {
      const maxNewTokens = opts.maxNewTokens ?? 25
      if (promptIds.length === 0)
        throw new AttributionError('empty-input', 'The prompt is empty.')
      if (promptIds.length + maxNewTokens > nPositions)
        throw new AttributionError('too-long', `Prompt (${promptIds.length} tokens) + ${maxNewTokens} new tokens is longer than the model's context (${nPositions}).`)
      let out: Tensor
      try {
        out = await lm.generate({
          input_ids: toInt64([promptIds], promptIds.length, eosTokenId),
          attention_mask: maskTensor([promptIds], promptIds.length),
          max_new_tokens: maxNewTokens,
          do_sample: false,
        } as Parameters<typeof lm.generate>[0]) as Tensor
      }
      catch (e) {
        throw new AttributionError('backend', `Generation failed: ${(e as Error).message}`)
      }
      const ids = (out.tolist() as Array<Array<bigint | number>>)[0].map(Number)
      stats.forwardCalls += ids.length - promptIds.length
      return ids.slice(promptIds.length)
    },
    async dispose() {
      await lm.dispose()
    },
  }
}

/**
 * The causal LM on the attribution-graph session: transformers.js's tokenizer, the
 * session's in-graph scorer and greedy argmax (same numbers as the full logits, to float32
 * rounding: the Captum comparisons run on it).
 */
function graphLm(session: Gpt2Session, files: ModelFiles, tok: ReturnType<typeof llmTokenizerOf>, info: { nPositions: number, vocabSize: number, eosTokenId: number, dtype: 'fp32' | 'q8' }): CausalLm {
  return {
    location: files.location,
    files,
    nPositions: info.nPositions,
    vocabSize: info.vocabSize,
    eosTokenId: info.eosTokenId,
    modelFile: 'model',
    device: session.device,
    dtype: info.dtype,
    scorer: 'attribution-graph',
    threads: session.threads,
    session,
    stats: session.stats,
    encode: tok.encode,
    decode: tok.decode,
    convertIdsToTokens: tok.convertIdsToTokens,
    convertTokensToIds: tok.convertTokensToIds,
    scoreTargets: rows => session.scoreTargets(rows),
    async logits() {
      throw new AttributionError('unsupported', 'Full logits come from the full-logits scorer (load with scorer: \'full-logits\').')
    },
    async generate(promptIds, opts = {}) {
      return session.generate(promptIds, opts.maxNewTokens ?? 25, info.eosTokenId)
    },
    async dispose() {
      await session.dispose()
    },
  }
}
