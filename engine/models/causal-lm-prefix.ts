/**
 * An alternative teacher-forced scorer for a `CausalLm` that shares the KV cache of a
 * common token prefix between perturbation rows (issue "Benchmarks against Captum, and
 * hardening", item 2). FeatureAblation of token i leaves tokens < i untouched, so the
 * rows of a batch, sorted lexicographically, fall into groups whose members agree on a
 * prefix of length p: the prefix is run once (or sliced from an earlier run's
 * `present.*` outputs, since a causal model's KV of a prefix is the prefix of its KV) and
 * every row then only runs its suffix with `past_key_values` = that prefix's KV.
 *
 * It runs the folder's `onnx/model.onnx` (optimum's with-past contract: input_ids,
 * attention_mask, position_ids, past_key_values.{i}.key/value → logits, present.{i}.*)
 * in its own ONNX Runtime session, rewritten by `scoringGraph` so that the LM head and
 * log_softmax run only at the scored positions, and keeps the wrapped `CausalLm` for
 * tokenization and generation. Node only (onnxruntime-node); `npm run bench` measures it.
 */
import type { CausalLm, CausalLmStats, ScoreRow } from './causal-lm'
import { AttributionError } from '../core/errors'
import { logProbAt } from './causal-lm'

export interface PrefixScorerOptions {
  /** false → every group has p = 0 (plain right-padded batches through the same session: the fair baseline). Default true. */
  prefix?: boolean
  /** Rows × padded suffix length per forward (as `maxBatchTokens` in causal-lm.ts). Default 256. */
  maxBatchTokens?: number
  /** The fixed cost of one extra forward call, in token-equivalents, used to decide the grouping. Default 8. */
  callCostTokens?: number
  /** How many prefix KV caches are kept between calls. Default 8. */
  cacheEntries?: number
  /** ORT intra-op threads (default: ORT's own choice). */
  intraOpNumThreads?: number
  /**
   * Score inside the graph (default true): the LM head, log_softmax and the pick of the
   * target ids run only at the scored positions, so the [rows, len, vocab] logits are
   * never materialised. false → the folder's graph as is, log_softmax in JS (as causal-lm.ts).
   */
  scoreInGraph?: boolean
}

interface OrtTensor { data: unknown, dims: readonly number[] }
interface OrtSession {
  inputNames: readonly string[]
  outputNames: readonly string[]
  run: (feeds: Record<string, unknown>) => Promise<Record<string, OrtTensor>>
  release: () => Promise<void>
}
interface OrtModule {
  InferenceSession: { create: (model: string | Uint8Array, opts?: Record<string, unknown>) => Promise<OrtSession> }
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown
}

/** KV of one token sequence: per layer, key and value as [H, len, D] (batch 1). */
interface PrefixKv { ids: number[], keys: Float32Array[], values: Float32Array[] }

function lcp(a: number[], b: number[], cap: number): number {
  let i = 0
  while (i < cap && i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

function compareIds(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i])
      return a[i] - b[i]
  }
  return a.length - b.length
}

/**
 * Rewrites a GPT-2 `model.onnx` so that it scores only what teacher forcing reads: two
 * extra inputs `score_positions` and `score_ids` ([B, K] int64) pick, per row, K positions
 * of the final hidden state ([B, S, E] → [B, K, E]) before the tied LM head, and the
 * output `target_logprobs` [B, K, 1] is log_softmax(logits)[score_ids]. The LM head then
 * costs K instead of S positions, and only B·K floats come back instead of B·S·vocab.
 * Returns null when the graph's `logits` is not produced by a MatMul (unknown layout).
 *
 * @example
 * const bytes = scoringGraph(readFileSync('fixtures/tiny-gpt2/onnx/model.onnx'))
 */
export async function scoringGraph(bytes: Uint8Array): Promise<Uint8Array | null> {
  const { default: onnxProto } = await import('onnx-proto')
  const { onnx } = onnxProto
  const model = onnx.ModelProto.decode(bytes)
  const graph = model.graph
  if (!graph?.node || !graph.initializer || !graph.input || !graph.output)
    return null
  const nodes = graph.node
  const at = nodes.findIndex(n => n.output?.[0] === 'logits')
  if (at < 0 || nodes[at].opType !== 'MatMul')
    return null
  const head = nodes[at]
  const hidden = head.input![0] // [B, S, E]
  const I64 = onnx.TensorProto.DataType.INT64
  const F32 = onnx.TensorProto.DataType.FLOAT
  const i64 = (name: string, values: number[]) => onnx.TensorProto.create({ name, dims: [values.length], dataType: I64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) })
  const node = (opType: string, input: string[], output: string, attrs: Record<string, number> = {}) => onnx.NodeProto.create({
    opType,
    input,
    output: [output],
    name: `score_${output}`,
    attribute: Object.entries(attrs).map(([name, i]) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i })),
  })
  const dims = (d: Array<number | string>) => onnx.TensorShapeProto.create({ dim: d.map(x => typeof x === 'number' ? onnx.TensorShapeProto.Dimension.create({ dimValue: x }) : onnx.TensorShapeProto.Dimension.create({ dimParam: x })) })
  const valueInfo = (name: string, elemType: number, d: Array<number | string>) => onnx.ValueInfoProto.create({ name, type: onnx.TypeProto.create({ tensorType: onnx.TypeProto.Tensor.create({ elemType, shape: dims(d) }) }) })

  graph.initializer.push(i64('score_axis2', [2]), i64('score_two', [2]), i64('score_three', [3]), i64('score_zero', [0]))
  // idx[b, k, e] = score_positions[b, k]: GatherElements along the sequence axis.
  const before = [
    node('Unsqueeze', ['score_positions', 'score_axis2'], 'score_pos3'), // [B, K, 1]
    node('Shape', [hidden], 'score_hshape'),
    node('Slice', ['score_hshape', 'score_two', 'score_three', 'score_zero'], 'score_e'), // [E]
    node('Shape', ['score_positions'], 'score_pshape'), // [B, K]
    node('Concat', ['score_pshape', 'score_e'], 'score_xshape', { axis: 0 }), // [B, K, E]
    node('Expand', ['score_pos3', 'score_xshape'], 'score_idx'),
    node('GatherElements', [hidden, 'score_idx'], 'score_hidden', { axis: 1 }), // [B, K, E]
  ]
  head.input![0] = 'score_hidden'
  head.output![0] = 'score_logits' // [B, K, vocab]
  const after = [
    node('LogSoftmax', ['score_logits'], 'score_lsm', { axis: -1 }),
    node('Unsqueeze', ['score_ids', 'score_axis2'], 'score_ids3'), // [B, K, 1]
    node('GatherElements', ['score_lsm', 'score_ids3'], 'target_logprobs', { axis: 2 }), // [B, K, 1]
  ]
  nodes.splice(at + 1, 0, ...after)
  nodes.splice(at, 0, ...before)
  graph.input.push(valueInfo('score_positions', I64, ['batch_size', 'n_scored']), valueInfo('score_ids', I64, ['batch_size', 'n_scored']))
  const out = graph.output.findIndex(o => o.name === 'logits')
  graph.output[out] = valueInfo('target_logprobs', F32, ['batch_size', 'n_scored', 1])
  return onnx.ModelProto.encode(model).finish()
}

/**
 * Wraps a loaded `CausalLm` so that `scoreTargets` reuses shared prefixes' KV caches.
 * The result is a `CausalLm` (pass it to `runLlmRequest` as the model source); its
 * `stats` count this scorer's own forwards (prefix runs included).
 *
 * @example
 * const lm = await loadCausalLm('fixtures/distil-gpt2')
 * const fast = await withPrefixReuse(lm, 'fixtures/distil-gpt2')
 * const res = await runLlmRequest(request, fast)
 */
export async function withPrefixReuse(lm: CausalLm, folder: string, options: PrefixScorerOptions = {}): Promise<CausalLm & { release: () => Promise<void> }> {
  if (lm.modelFile !== 'model')
    throw new AttributionError('unsupported', 'Prefix reuse needs onnx/model.onnx with position_ids (optimum\'s with-past export).')
  const ort = await import('onnxruntime-node') as unknown as OrtModule
  const { readFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  const configPath = join(folder, 'config.json')
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { n_layer: number, n_head: number, n_embd: number }
  const nLayer = config.n_layer
  const H = config.n_head
  const D = config.n_embd / H
  let session: OrtSession
  let inGraph = false
  try {
    const bytes = new Uint8Array(await readFile(join(folder, 'onnx', 'model.onnx')))
    const scored = (options.scoreInGraph ?? true) ? await scoringGraph(bytes) : null
    inGraph = scored !== null
    session = await ort.InferenceSession.create(scored ?? bytes, options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {})
  }
  catch (e) {
    throw new AttributionError('corrupt-model', `Could not load ${folder}/onnx/model.onnx: ${(e as Error).message}`)
  }
  const usePrefix = options.prefix ?? true
  const maxBatchTokens = options.maxBatchTokens ?? 256
  const callCost = options.callCostTokens ?? 8
  const cacheEntries = options.cacheEntries ?? 8
  const vocab = lm.vocabSize
  const pad = lm.eosTokenId
  const stats: CausalLmStats = { forwardCalls: 0, rows: 0, tokens: 0 }
  const cache: PrefixKv[] = []

  /**
   * One forward: `suffixes` (right-padded) after a shared past of length p (KV per layer
   * [H, p, D], tiled over the batch). Returns logits [B, S, vocab] and, when asked, the KV
   * of row 0's full sequence.
   */
  async function run(suffixes: number[][], p: number, past: PrefixKv | null, keepRow0Kv: boolean, score?: { positions: number[][], ids: number[][] }): Promise<{ logits: Float32Array, S: number, K: number, kv?: PrefixKv }> {
    const B = suffixes.length
    const S = Math.max(...suffixes.map(s => s.length))
    const ids = new BigInt64Array(B * S)
    const pos = new BigInt64Array(B * S)
    const mask = new BigInt64Array(B * (p + S))
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < S; s++) {
        ids[b * S + s] = BigInt(s < suffixes[b].length ? suffixes[b][s] : pad)
        // Padding positions are clamped: they are masked out and their logits never read.
        pos[b * S + s] = BigInt(p + Math.min(s, suffixes[b].length - 1))
      }
      for (let t = 0; t < p + suffixes[b].length; t++)
        mask[b * (p + S) + t] = 1n
    }
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, p + S]),
      position_ids: new ort.Tensor('int64', pos, [B, S]),
    }
    // In-graph scoring: K positions per row (padded with position 0 / id 0, never read).
    const K = inGraph ? Math.max(1, ...(score?.positions ?? []).map(x => x.length)) : 0
    if (inGraph) {
      const sp = new BigInt64Array(B * K)
      const si = new BigInt64Array(B * K)
      score?.positions.forEach((row, b) => row.forEach((x, k) => {
        sp[b * K + k] = BigInt(x)
        si[b * K + k] = BigInt(score.ids[b][k])
      }))
      feeds.score_positions = new ort.Tensor('int64', sp, [B, K])
      feeds.score_ids = new ort.Tensor('int64', si, [B, K])
    }
    const plen = H * p * D
    for (let l = 0; l < nLayer; l++) {
      for (const [kind, src] of [['key', past?.keys[l]], ['value', past?.values[l]]] as const) {
        const buf = new Float32Array(B * plen) // [B, H, p, D]
        if (p > 0) {
          // The cached KV may be longer than p: copy the first p positions of every head.
          const len = src!.length / (H * D)
          for (let h = 0; h < H; h++) {
            const head = src!.subarray(h * len * D, h * len * D + p * D)
            for (let b = 0; b < B; b++)
              buf.set(head, b * plen + h * p * D)
          }
        }
        feeds[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', buf, [B, H, p, D])
      }
    }
    let out: Record<string, OrtTensor>
    try {
      out = await session.run(feeds)
    }
    catch (e) {
      throw new AttributionError('backend', `The model forward failed: ${(e as Error).message}`)
    }
    stats.forwardCalls++
    stats.rows += B
    stats.tokens += suffixes.reduce((a, s) => a + s.length, 0)
    let kv: PrefixKv | undefined
    if (keepRow0Kv) {
      const T = p + suffixes[0].length
      const tot = p + S
      const take = (t: OrtTensor) => {
        const d = t.data as Float32Array // [B, H, p + S, D]: row 0, first T positions
        const o = new Float32Array(H * T * D)
        for (let h = 0; h < H; h++)
          o.set(d.subarray(h * tot * D, h * tot * D + T * D), h * T * D)
        return o
      }
      kv = { ids: [], keys: [], values: [] }
      for (let l = 0; l < nLayer; l++) {
        kv.keys.push(take(out[`present.${l}.key`]))
        kv.values.push(take(out[`present.${l}.value`]))
      }
    }
    return { logits: (inGraph ? out.target_logprobs.data : out.logits.data) as Float32Array, S, K, kv }
  }

  /** The KV of `prefix`: sliced from a cached longer sequence, or computed once and cached. */
  async function prefixKv(prefix: number[]): Promise<PrefixKv> {
    // The cached sequence sharing the longest prefix: its KV covers that much, and only
    // the rest of `prefix` is run (so sorted rows walk the prefix trie incrementally).
    let base: PrefixKv | null = null
    let shared = 0
    for (const c of cache) {
      const l = lcp(c.ids, prefix, prefix.length)
      if (l > shared) {
        base = c
        shared = l
      }
    }
    if (base && shared === prefix.length)
      return base
    const { kv } = await run([prefix.slice(shared)], shared, base, true, { positions: [[0]], ids: [[0]] })
    kv!.ids = prefix.slice()
    cache.unshift(kv!)
    if (cache.length > cacheEntries)
      cache.pop()
    return kv!
  }

  async function scoreTargets(rows: ScoreRow[]): Promise<Float32Array[]> {
    for (const r of rows) {
      if (r.targetIds.length === 0)
        throw new AttributionError('empty-input', 'The target is empty.')
      if (r.promptIds.length === 0)
        throw new AttributionError('empty-input', 'The prompt is empty.')
      if (r.promptIds.length + r.targetIds.length - 1 > lm.nPositions)
        throw new AttributionError('too-long', `Prompt + target is ${r.promptIds.length + r.targetIds.length} tokens, longer than the model's context (${lm.nPositions}).`)
    }
    const seqs = rows.map(r => [...r.promptIds, ...r.targetIds.slice(0, -1)])
    // A shared prefix must stop before the first position whose logits are read.
    const capOf = (r: number) => rows[r].promptIds.length - 1
    const order = rows.map((_, i) => i).sort((a, b) => compareIds(seqs[a], seqs[b]))

    // Grouping of the sorted rows by dynamic programming: cost(group) = call overhead +
    // B × (longest suffix) + the prefix's own forward when no cached KV covers it.
    const n = order.length
    const best = new Float64Array(n + 1).fill(Infinity)
    const cut = new Int32Array(n + 1)
    const prefLen = new Int32Array(n + 1)
    best[0] = 0
    for (let j = 1; j <= n; j++) {
      let p = usePrefix ? capOf(order[j - 1]) : 0
      let maxLen = 0
      for (let i = j - 1; i >= 0; i--) {
        const r = order[i]
        if (usePrefix) {
          p = Math.min(p, capOf(r), lcp(seqs[r], seqs[order[j - 1]], p))
        }
        maxLen = Math.max(maxLen, seqs[r].length)
        const B = j - i
        const S = maxLen - p
        if (B > 1 && B * S > maxBatchTokens)
          break
        // Prefixes are mostly extended incrementally from the previous group's (prefixKv): one extra call.
        const prefixCost = p > 0 ? callCost : 0
        const cost = best[i] + callCost + B * S + prefixCost
        if (cost < best[j]) {
          best[j] = cost
          cut[j] = i
          prefLen[j] = p
        }
      }
    }
    const groups: Array<{ members: number[], p: number }> = []
    for (let j = n; j > 0; j = cut[j])
      groups.push({ members: order.slice(cut[j], j), p: prefLen[j] })
    // Sorted order: consecutive groups' prefixes extend each other in the KV cache.
    groups.reverse()

    const result: Float32Array[] = Array.from({ length: rows.length })
    for (const g of groups) {
      const past = g.p > 0 ? await prefixKv(seqs[g.members[0]].slice(0, g.p)) : null
      // Token k of the target is predicted at suffix position len(prompt) − 1 + k − p.
      const positions = g.members.map(r => rows[r].targetIds.map((_, k) => rows[r].promptIds.length - 1 + k - g.p))
      const { logits, S, K } = await run(g.members.map(r => seqs[r].slice(g.p)), g.p, past, false, { positions, ids: g.members.map(r => rows[r].targetIds) })
      g.members.forEach((r, b) => {
        const { targetIds } = rows[r]
        const lp = new Float32Array(targetIds.length) // [T]
        for (let k = 0; k < targetIds.length; k++)
          lp[k] = inGraph ? logits[b * K + k] : logProbAt(logits, (b * S + positions[b][k]) * vocab, vocab, targetIds[k])
        result[r] = lp
      })
    }
    return result
  }

  return {
    ...lm,
    stats,
    scoreTargets,
    async release() {
      cache.length = 0
      await session.release()
    },
  }
}
