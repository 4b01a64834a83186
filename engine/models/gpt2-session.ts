import type { ModelFiles } from '../core/files'
import type { ScoreRow } from '../core/score-rows'
import type { WeightTensor } from './gpt2-attribution-graph'
import type { Gpt2Config } from './gpt2-config'
/**
 * GPT-2 on one ONNX Runtime session of the attribution graph (`gpt2-attribution-graph.ts`,
 * generated from `model.safetensors`): the teacher-forced scorer of the perturbation
 * methods, greedy generation, the token embeddings and the gradients of the layer
 * methods all run on this session, so the weights are held once. onnxruntime-node in
 * Node, onnxruntime-web (WebGPU, else WASM with every core the page may use) in a browser.
 *
 * This and `causal-lm.ts` are the only modules that touch ONNX Runtime for the LM.
 */
import { AttributionError } from '../core/errors'
import { readJson } from '../core/files'
import { isBrowser, wasmThreads, webGpuAdapterAvailable } from '../core/platform'
import { planBatches, teacherForcedSequences, validateScoreRows } from '../core/score-rows'
import { parseGpt2Config } from './gpt2-config'
import { watchGpuDevice } from './gpu-device-watch'
import { parseSafetensors, safetensorsIndex } from './safetensors'

export type Gpt2SessionDevice = 'webgpu' | 'wasm' | 'cpu'

export interface Gpt2SessionOptions {
  /** Devices to try in order. Default: ['webgpu', 'wasm'] in a browser, ['cpu'] in Node. */
  device?: Gpt2SessionDevice | Gpt2SessionDevice[]
  /** ORT wasm binaries served from our own origin: `{ wasm, mjs }` URLs or a folder URL. */
  wasmPaths?: string | { wasm?: string, mjs?: string }
  /** Rows × padded length per scoring forward. Default 2048 (only [rows, K] floats come back). */
  maxBatchTokens?: number
  /** ORT intra-op threads in Node (default: ORT's own choice, every core). */
  intraOpNumThreads?: number
}

interface OrtTensor { data: unknown, dims: readonly number[], dispose?: () => void }
interface OrtSession {
  run: (feeds: Record<string, unknown>, fetches?: string[]) => Promise<Record<string, OrtTensor>>
  release: () => Promise<void>
}
interface OrtModule {
  InferenceSession: { create: (model: Uint8Array, opts?: Record<string, unknown>) => Promise<OrtSession> }
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown
  env: { wasm: { wasmPaths?: unknown, numThreads?: number }, webgpu?: { device?: unknown } }
}

async function ortModule(): Promise<OrtModule> {
  // The same entry transformers.js imports, so a bundle holds one ONNX Runtime Web.
  if (isBrowser)
    return await import('onnxruntime-web/webgpu') as unknown as OrtModule
  return await import('onnxruntime-node') as unknown as OrtModule
}

/**
 * A loaded GPT-2 on its attribution graph. Satisfies the gradient methods'
 * `EmbeddingGradientModel` (`embed`, `logProbGrads`) and gives the causal LM its scorer
 * (`scoreTargets`) and `generate`.
 *
 * @example
 * const s = await Gpt2Session.load(nodeFiles('fixtures/tiny-gpt2'))
 * const [lp] = await s.scoreTargets([{ promptIds: [464, 3290], targetIds: [318] }])
 */
export class Gpt2Session {
  /** Forward passes (score, generate and gradient runs) and the rows and tokens they read. */
  readonly stats = { forwardCalls: 0, rows: 0, tokens: 0 }
  private released = false

  private constructor(
    readonly config: Gpt2Config,
    readonly device: Gpt2SessionDevice,
    readonly threads: number,
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    private readonly maxBatchTokens: number,
  ) {}

  /** The backend as the badge names it. */
  get backend(): string {
    return this.device
  }

  /**
   * Reads `config.json` and `model.safetensors`, generates the attribution graph and
   * starts one session on the first device that works. Throws `missing-model` without
   * `model.safetensors`, `unsupported` for a config this graph does not cover.
   *
   * @example
   * const s = await Gpt2Session.load(httpFiles('/models/distilgpt2/'), { wasmPaths })
   */
  static async load(files: ModelFiles, options: Gpt2SessionOptions = {}): Promise<Gpt2Session> {
    if (!await files.exists('model.safetensors'))
      throw new AttributionError('missing-model', `${files.location}model.safetensors is missing: the attribution graph is generated from it.`)
    const config = parseGpt2Config(await readJson<Record<string, unknown>>(files, 'config.json'))
    const weights = await weightSource(files)
    const { buildGpt2AttributionGraph } = await import('./gpt2-attribution-graph')
    let graph: Uint8Array | null = buildGpt2AttributionGraph(weights.tensors, config)
    const ort = await ortModule()
    const devices: Gpt2SessionDevice[] = Array.isArray(options.device)
      ? options.device
      : options.device ? [options.device] : isBrowser ? ['webgpu', 'wasm'] : ['cpu']
    let threads = 1
    if (isBrowser) {
      if (options.wasmPaths !== undefined)
        ort.env.wasm.wasmPaths = options.wasmPaths
      // Every core when the page is cross-origin isolated, else 1 (core/platform.ts).
      threads = wasmThreads()
      ort.env.wasm.numThreads = threads
    }
    else {
      threads = options.intraOpNumThreads ?? (await import('node:os')).availableParallelism()
    }
    // A failed WebGPU start can leave ORT unable to start another backend: ask for an adapter first.
    const hasAdapter = devices.includes('webgpu') && await webGpuAdapterAvailable()
    let lastError: unknown = null
    for (const device of devices) {
      if (device === 'webgpu' && !hasAdapter)
        continue
      try {
        const session = await ort.InferenceSession.create(graph!, {
          executionProviders: [device],
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3, // errors only: not the notes on unused constants
          // No pre-packed copies of the weight matrices: measured on the distilgpt2 shape in
          // Node, the same run times, half the session start (2.4 vs 4.7 s) and 430 instead
          // of 1040 MB resident, i.e. the weights once (wte alone feeds three products).
          extra: { session: { disable_prepacking: '1', ...(weights.folder ? { model_external_initializers_file_folder_path: weights.folder } : {}) } },
          // Not in a Node folder: the verified bytes, handed over as the external data.
          ...(weights.bytes ? { externalData: [{ path: WEIGHTS, data: weights.bytes }] } : {}),
          ...(!isBrowser && options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
        })
        graph = null // ORT holds the weights now: let the bytes go.
        weights.bytes = undefined
        if (device === 'webgpu') {
          try {
            watchGpuDevice(await ort.env.webgpu?.device as Parameters<typeof watchGpuDevice>[0], 'ONNX Runtime')
          }
          catch {
            // No device to watch: a loss then surfaces as a failed run ('backend' error).
          }
        }
        return new Gpt2Session(config, device, device === 'webgpu' ? 1 : threads, ort, session, options.maxBatchTokens ?? 2048)
      }
      catch (e) {
        lastError = e
      }
    }
    throw new AttributionError('corrupt-model', `Could not start the attribution graph of ${files.location}model.safetensors on ${devices.join(', ')}: ${(lastError as Error)?.message ?? lastError}`)
  }

  private i64(values: ArrayLike<number>, dims: number[]): unknown {
    return new this.ort.Tensor('int64', BigInt64Array.from(Array.from(values, BigInt)), dims)
  }

  /**
   * Inputs for the paths a run does not use (every graph input must be fed, and ORT runs
   * every node): empty batches on the CPU kernels (Node, WASM), where they cost < 1 ms
   * instead of ~50 ms for one-token rows on the distilgpt2 shape; one-token rows on WebGPU,
   * whose kernels are not all written for empty tensors.
   */
  private idle(): Record<string, unknown> {
    const n = this.device === 'webgpu' ? 1 : 0
    const E = this.config.nEmbd
    return {
      input_ids: this.i64(Array.from({ length: n }, () => 0), [n, 1]),
      score_positions: this.i64(Array.from({ length: n }, () => 0), [n, 1]),
      score_ids: this.i64(Array.from({ length: n }, () => 0), [n, 1]),
      embed_ids: this.i64(Array.from({ length: n }, () => 0), [n]),
      inputs_embeds: new this.ort.Tensor('float32', new Float32Array(n * E), [n, 1, E]),
      grad_positions: this.i64(Array.from({ length: n }, () => 0), [n, 1]),
      grad_ids: this.i64(Array.from({ length: n }, () => 0), [n, 1]),
    }
  }

  private async run(feeds: Record<string, unknown>, fetches: string[]): Promise<Record<string, OrtTensor>> {
    if (this.released)
      throw new AttributionError('backend', 'The model was released.')
    try {
      return await this.session.run({ ...this.idle(), ...feeds }, fetches)
    }
    catch (e) {
      throw new AttributionError('backend', `The ${this.device} model run failed: ${(e as Error).message}`)
    }
  }

  private checkIds(ids: number[]): void {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize)
        throw new AttributionError('bad-request', `Token id ${id} is outside the vocabulary (0…${this.config.vocabSize - 1}).`)
    }
  }

  /**
   * Teacher-forced log-probs: row r gets `[log p(t_1 | prompt), …, log p(t_T | prompt, t_<T)]`,
   * in as few forwards as `maxBatchTokens` allows (rows right-padded; the causal model
   * never lets padding reach a scored position).
   *
   * @example
   * const [lp] = await s.scoreTargets([{ promptIds: [464], targetIds: [3290, 318] }]) // Float32Array(2)
   */
  async scoreTargets(rows: ScoreRow[]): Promise<Float32Array[]> {
    validateScoreRows(rows, this.config.nPositions, this.config.vocabSize)
    const seqs = teacherForcedSequences(rows)
    const result: Float32Array[] = Array.from({ length: rows.length })
    for (const [start, end] of planBatches(seqs, this.maxBatchTokens)) {
      const len = Math.max(...seqs.slice(start, end).map(q => q.length))
      const chunk = rows.slice(start, end)
      const B = chunk.length
      const K = Math.max(...chunk.map(r => r.targetIds.length))
      const ids = Array.from<number>({ length: B * len }).fill(0) // [B, len], right-padded
      const pos = Array.from<number>({ length: B * K }).fill(0) // [B, K]; padding reads position 0 / id 0, never used
      const tgt = Array.from<number>({ length: B * K }).fill(0)
      chunk.forEach((r, b) => {
        seqs[start + b].forEach((id, s) => (ids[b * len + s] = id))
        r.targetIds.forEach((id, k) => {
          pos[b * K + k] = r.promptIds.length - 1 + k
          tgt[b * K + k] = id
        })
      })
      const out = await this.run({ input_ids: this.i64(ids, [B, len]), score_positions: this.i64(pos, [B, K]), score_ids: this.i64(tgt, [B, K]) }, ['target_logprobs'])
      const lp = out.target_logprobs.data as Float32Array // [B, K]
      chunk.forEach((r, b) => (result[start + b] = lp.slice(b * K, b * K + r.targetIds.length)))
      out.target_logprobs.dispose?.()
      this.stats.forwardCalls++
      this.stats.rows += B
      this.stats.tokens += seqs.slice(start, end).reduce((a, q) => a + q.length, 0)
    }
    return result
  }

  /**
   * Greedy generation (argmax in the graph, one forward per new token, no KV cache):
   * stops after `maxNewTokens` or at `eosTokenId` (kept, as transformers.js does).
   *
   * @example
   * const ids = await s.generate([464, 3290], 5, 50256)
   */
  async generate(promptIds: number[], maxNewTokens: number, eosTokenId?: number): Promise<number[]> {
    if (promptIds.length === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    if (promptIds.length + maxNewTokens > this.config.nPositions)
      throw new AttributionError('too-long', `Prompt (${promptIds.length} tokens) + ${maxNewTokens} new tokens is longer than the model's context (${this.config.nPositions}).`)
    this.checkIds(promptIds)
    const seq = promptIds.slice()
    const out: number[] = []
    while (out.length < maxNewTokens) {
      const res = await this.run({ input_ids: this.i64(seq, [1, seq.length]), score_positions: this.i64([seq.length - 1], [1, 1]), score_ids: this.i64([0], [1, 1]) }, ['argmax_ids'])
      const next = Number((res.argmax_ids.data as BigInt64Array)[0])
      res.argmax_ids.dispose?.()
      this.stats.forwardCalls++
      this.stats.rows++
      this.stats.tokens += seq.length
      out.push(next)
      seq.push(next)
      if (next === eosTokenId)
        break
    }
    return out
  }

  /**
   * Token embeddings `wte[ids]`, row-major [L, E].
   *
   * @example
   * const x = await s.embed([27984, 3160]) // Float32Array(2 * E)
   */
  async embed(ids: number[]): Promise<Float32Array> {
    if (ids.length === 0)
      throw new AttributionError('empty-input', 'The model needs at least one token.')
    this.checkIds(ids)
    const out = await this.run({ embed_ids: this.i64(ids, [ids.length]) }, ['token_embeds'])
    const data = (out.token_embeds.data as Float32Array).slice()
    out.token_embeds.dispose?.()
    return data
  }

  /**
   * Target log-probs and their gradients with respect to the input embeddings, K scored
   * pairs per row: F_rk = log_softmax(logits[r, positions[r·K + k]])[targets[r·K + k]] for
   * embeddings [rows, seqLen, E], K = positions.length / rows. The K pairs of a row share
   * its forward pass (one backward each). Returns F [rows, K] and ∂F_rk/∂x_r for the first
   * `gradPositions` positions [rows, K, gradPositions, E].
   *
   * @example
   * const { logProbs, grads } = await s.logProbGrads(x, 1, 3, [1, 2], [287, 290], 3) // K = 2
   */
  async logProbGrads(embeds: Float32Array, rows: number, seqLen: number, positions: ArrayLike<number>, targets: ArrayLike<number>, gradPositions: number): Promise<{ logProbs: Float32Array, grads: Float32Array }> {
    const { nEmbd: E, vocabSize: V, nPositions } = this.config
    if (embeds.length !== rows * seqLen * E)
      throw new AttributionError('bad-request', `logProbGrads: ${embeds.length} embedding values for ${rows}×${seqLen}×${E}.`)
    if (seqLen > nPositions)
      throw new AttributionError('too-long', `${seqLen} tokens exceed the model's context of ${nPositions}.`)
    const K = positions.length / rows
    if (!Number.isInteger(K) || K < 1 || targets.length !== positions.length)
      throw new AttributionError('bad-request', `logProbGrads: ${positions.length} positions and ${targets.length} targets for ${rows} rows (K per row, K ≥ 1).`)
    for (let i = 0; i < positions.length; i++) {
      if (!(positions[i] >= 0 && positions[i] < seqLen) || !(targets[i] >= 0 && targets[i] < V))
        throw new AttributionError('bad-request', `logProbGrads: pair ${i} reads position ${positions[i]} / token ${targets[i]} out of range.`)
    }
    const out = await this.run({
      inputs_embeds: new this.ort.Tensor('float32', embeds, [rows, seqLen, E]),
      grad_positions: this.i64(positions, [rows, K]),
      grad_ids: this.i64(targets, [rows, K]),
    }, ['grad_logprobs', 'grad_inputs_embeds'])
    this.stats.forwardCalls++
    this.stats.rows += rows
    this.stats.tokens += rows * seqLen
    try {
      const logProbs = (out.grad_logprobs.data as Float32Array).slice() // [rows, K]
      const full = out.grad_inputs_embeds.data as Float32Array // [rows·K, seqLen, E]
      if (gradPositions === seqLen)
        return { logProbs, grads: full.slice() }
      const pairs = rows * K
      const grads = new Float32Array(pairs * gradPositions * E)
      for (let q = 0; q < pairs; q++) grads.set(full.subarray(q * seqLen * E, (q * seqLen + gradPositions) * E), q * gradPositions * E)
      return { logProbs, grads }
    }
    finally {
      out.grad_logprobs.dispose?.()
      out.grad_inputs_embeds.dispose?.()
    }
  }

  /** Frees the session (and with it the weights). */
  async dispose(): Promise<void> {
    if (this.released)
      return
    this.released = true
    await this.session.release()
  }
}

const WEIGHTS = 'model.safetensors'

/**
 * The graph's weights as references into `model.safetensors` (when every tensor is float32,
 * as HF's GPT-2 checkpoints are), with where ONNX Runtime finds the file: a Node folder it
 * reads itself (only the header is read here), or the file's bytes (browser, hub). Other
 * dtypes are decoded to float32 and inlined in the graph.
 */
async function weightSource(files: ModelFiles): Promise<{ tensors: Map<string, WeightTensor>, folder?: string, bytes?: Uint8Array }> {
  const where = `${files.location}${WEIGHTS}`
  let bytes: Uint8Array | undefined
  let index: ReturnType<typeof safetensorsIndex>
  if (files.folderPath && files.readHead) {
    const head = await files.readHead(WEIGHTS, 8)
    const headerLen = head.bytes.byteLength === 8 ? Number(new DataView(head.bytes.buffer, head.bytes.byteOffset, 8).getBigUint64(0, true)) : 0
    index = safetensorsIndex((await files.readHead(WEIGHTS, 8 + Math.min(headerLen, head.size))).bytes, where, head.size)
  }
  else {
    bytes = await files.readBytes(WEIGHTS)
    index = safetensorsIndex(bytes, where)
  }
  const entries = [...index.entries]
  if (!entries.every(([, e]) => e.dtype === 'F32' || !FLOAT_DTYPES.has(e.dtype))) {
    const decoded = parseSafetensors(bytes ?? await files.readBytes(WEIGHTS), where).tensors
    return { tensors: decoded }
  }
  const tensors = new Map<string, WeightTensor>(entries.filter(([, e]) => e.dtype === 'F32').map(([name, e]) => [name, { shape: e.shape, file: WEIGHTS, offset: e.offset, length: e.length }]))
  return bytes ? { tensors, bytes } : { tensors, folder: files.folderPath }
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16'])

const sessions = new Map<string, Promise<Gpt2Session>>()

/**
 * One session per model location, shared by the perturbation and the gradient methods.
 *
 * @example
 * const s = await gpt2Session(nodeFiles('fixtures/tiny-gpt2'))
 */
export function gpt2Session(files: ModelFiles, options: Gpt2SessionOptions = {}): Promise<Gpt2Session> {
  const key = `${files.location}\0${JSON.stringify(options.device ?? null)}\0${options.maxBatchTokens ?? 'default'}`
  let p = sessions.get(key)
  if (!p) {
    p = Gpt2Session.load(files, options)
    sessions.set(key, p)
    p.catch(() => sessions.delete(key))
  }
  return p
}

/** Forgets (and releases) the cached sessions, e.g. after a lost GPU device. */
export async function releaseGpt2Sessions(): Promise<void> {
  const all = [...sessions.values()]
  sessions.clear()
  await Promise.all(all.map(p => p.then(s => s.dispose(), () => undefined)))
}
