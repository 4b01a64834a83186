/**
 * Teacher-forced scoring inside ONNX Runtime (Node). causal-lm.ts scores through
 * transformers.js, which returns the full [rows, len, vocab] logits; a teacher-forced
 * row only reads log_softmax at its target positions (8 of ~23 for the Palm Coast
 * prompt), and copying 50257 floats per position out of ORT and normalising them in JS
 * was most of the time. `scoringGraph` rewrites the model so that the LM head,
 * log_softmax and the pick of the target ids run inside the graph at the scored
 * positions only; `scoreInOnnxGraph` wraps a loaded `CausalLm` with it.
 *
 * The issue "Benchmarks against Captum, and hardening" asked for prefix KV reuse or a
 * better scheme with the same results, kept only if faster. Prefix KV sharing (with a
 * dynamic-programming grouping of the sorted rows) was built and measured against this
 * scorer on the distilgpt2-shaped model: it was slower for every method (0.50 vs 0.43 of
 * the default's time for FeatureAblation, 0.89 vs 0.48 for ShapleyValueSampling(5)),
 * because the extra forward calls cost more than the prefix tokens they save, so it was
 * removed (README, "Performance").
 *
 * Used by `nodeEnv()` (the CLI, the bake step, the tests); the browser keeps causal-lm.ts's
 * scorer. Falls back to that scorer when the graph has an unknown layout.
 */
import type { onnx } from 'onnx-proto'
import type { CausalLm, CausalLmStats, ScoreRow } from './causal-lm'
import { AttributionError } from '../core/errors'
import { readJson } from '../core/files'

export interface OnnxScorerOptions {
  /** Rows × padded length per forward (as `maxBatchTokens` in causal-lm.ts). Default 4096: only [rows, K] floats come back, so large batches are cheap. */
  maxBatchTokens?: number
  /** ORT intra-op threads (default: ORT's own choice). */
  intraOpNumThreads?: number
}

interface OrtTensor { data: unknown, dims: readonly number[] }
interface OrtSession {
  inputNames: readonly string[]
  run: (feeds: Record<string, unknown>) => Promise<Record<string, OrtTensor>>
  release: () => Promise<void>
}
interface OrtModule {
  InferenceSession: { create: (model: Uint8Array, opts?: Record<string, unknown>) => Promise<OrtSession> }
  Tensor: new (type: string, data: unknown, dims: number[]) => unknown
}

/**
 * optimum's merged decoder (`decoder_model_merged.onnx`, the layout of Xenova/distilgpt2) is
 * one `If(use_cache_branch)` node whose `else_branch` is the decoder without past and whose
 * `then_branch` is the one with past. We always score from an empty past, so the `If` is
 * replaced, in place, by the nodes of its `else_branch` (their outputs renamed to the `If`'s
 * outputs; any branch initializers moved up). Subgraph nodes already read outer-scope names
 * (inputs, initializers), so they run unchanged in the main graph. Graphs without such an
 * `If` are left as they are.
 *
 * @example
 * inlineNoPastBranch(model.graph) // then `logits` is produced by a MatMul again
 */
export function inlineNoPastBranch(graph: onnx.IGraphProto): void {
  const nodes = graph.node ?? []
  const at = nodes.findIndex(n => n.opType === 'If' && n.input?.[0] === 'use_cache_branch')
  if (at < 0)
    return
  const ifNode = nodes[at]
  const branch = ifNode.attribute?.find(a => a.name === 'else_branch')?.g
  if (!branch?.node || !branch.output || branch.output.length !== ifNode.output?.length)
    return
  const rename = new Map(branch.output.map((o, i) => [o.name!, ifNode.output![i]]))
  for (const n of branch.node) {
    n.output = (n.output ?? []).map(o => rename.get(o) ?? o)
    n.input = (n.input ?? []).map(i => rename.get(i) ?? i)
  }
  // A branch output that is an outer name passed straight through needs an Identity.
  const produced = new Set(branch.node.flatMap(n => n.output ?? []))
  const passThrough = [...rename].filter(([from, to]) => !produced.has(to) && from !== to).map(([from, to]) => ({ opType: 'Identity', input: [from], output: [to], name: `inline_${to}` }))
  graph.initializer = [...(graph.initializer ?? []), ...(branch.initializer ?? [])]
  nodes.splice(at, 1, ...branch.node, ...(passThrough as typeof branch.node))
  graph.node = nodes
}

/**
 * Rewrites a GPT-2 `model.onnx` (or optimum's merged `decoder_model_merged.onnx`, whose
 * no-past branch is inlined first) so that it scores only what teacher forcing reads: two
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
  inlineNoPastBranch(graph)
  const nodes = graph.node!
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
  // The only output: `present.*` (the KV cache, [B, H, S, D] per layer) would otherwise be
  // copied out on every call, ~0.85 MB per row for distilgpt2.
  graph.output.splice(0, graph.output.length, valueInfo('target_logprobs', F32, ['batch_size', 'n_scored', 1]))
  return onnx.ModelProto.encode(model).finish()
}

/**
 * Wraps a loaded `CausalLm` so that `scoreTargets` runs the rewritten graph
 * (`scoringGraph`) in its own onnxruntime-node session; tokenization and generation stay
 * with the wrapped model. The result's `stats` count this scorer's forwards. Returns `lm`
 * itself when the graph cannot be rewritten (e.g. a quantized graph, whose logits do not
 * come out of a plain MatMul), so callers can always use it.
 *
 * @example
 * const lm = await scoreInOnnxGraph(await loadCausalLm('fixtures/tiny-gpt2'))
 * const [logps] = await lm.scoreTargets([{ promptIds: lm.encode('Hello'), targetIds: lm.encode(' world') }])
 */
export async function scoreInOnnxGraph(lm: CausalLm, options: OnnxScorerOptions = {}): Promise<CausalLm> {
  // Read through the files the model came from: a folder, or the hub's verified cache.
  const files = lm.files
  const name = `onnx/${lm.modelFile}${lm.dtype === 'q8' ? '_quantized' : ''}.onnx`
  const file = `${files.location}${name}`
  let bytes: Uint8Array
  try {
    bytes = await files.readBytes(name)
  }
  catch (e) {
    throw e instanceof AttributionError ? e : new AttributionError('missing-model', `Could not read ${file}: ${(e as Error).message}`)
  }
  let scored: Uint8Array | null
  try {
    scored = await scoringGraph(bytes)
  }
  catch {
    scored = null // not an ONNX protobuf we can edit: causal-lm.ts's scorer has loaded it already
  }
  if (!scored)
    return lm
  const config = await readJson<{ n_head: number, n_embd: number }>(files, 'config.json')
  const ort = await import('onnxruntime-node') as unknown as OrtModule
  let session: OrtSession
  try {
    session = await ort.InferenceSession.create(scored, options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {})
  }
  catch (e) {
    throw new AttributionError('corrupt-model', `Could not load ${file}: ${(e as Error).message}`)
  }
  const H = config.n_head
  const D = config.n_embd / H
  const pastInputs = session.inputNames.filter(n => n.startsWith('past_key_values.'))
  const maxBatchTokens = options.maxBatchTokens ?? 4096
  const pad = lm.eosTokenId
  const stats: CausalLmStats = { forwardCalls: 0, rows: 0, tokens: 0 }

  /** One forward of right-padded rows; returns target_logprobs [B, K] (K = longest target). */
  async function forward(seqs: number[][], rows: ScoreRow[]): Promise<{ lp: Float32Array, K: number }> {
    const B = seqs.length
    const S = Math.max(...seqs.map(s => s.length))
    const K = Math.max(...rows.map(r => r.targetIds.length))
    const ids = new BigInt64Array(B * S) // [B, S]
    const pos = new BigInt64Array(B * S) // [B, S]
    const mask = new BigInt64Array(B * S) // [B, S]
    const scorePos = new BigInt64Array(B * K) // [B, K]; padding picks position 0 / id 0, never read
    const scoreIds = new BigInt64Array(B * K) // [B, K]
    for (let b = 0; b < B; b++) {
      const len = seqs[b].length
      for (let s = 0; s < S; s++) {
        ids[b * S + s] = BigInt(s < len ? seqs[b][s] : pad)
        // Right padding: real tokens keep positions 0…len−1; padding is masked out and never read.
        pos[b * S + s] = BigInt(Math.min(s, len - 1))
        mask[b * S + s] = s < len ? 1n : 0n
      }
      // Token k of the target is predicted at position len(prompt) − 1 + k.
      rows[b].targetIds.forEach((id, k) => {
        scorePos[b * K + k] = BigInt(rows[b].promptIds.length - 1 + k)
        scoreIds[b * K + k] = BigInt(id)
      })
    }
    const feeds: Record<string, unknown> = {
      input_ids: new ort.Tensor('int64', ids, [B, S]),
      attention_mask: new ort.Tensor('int64', mask, [B, S]),
      score_positions: new ort.Tensor('int64', scorePos, [B, K]),
      score_ids: new ort.Tensor('int64', scoreIds, [B, K]),
    }
    if (session.inputNames.includes('position_ids'))
      feeds.position_ids = new ort.Tensor('int64', pos, [B, S])
    // optimum's with-past export: an empty past ([B, H, 0, D]) is a plain forward.
    for (const name of pastInputs)
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [B, H, 0, D])
    // A merged decoder (decoder_model_merged.onnx) asks for its branch: an empty past, not the cache one.
    if (session.inputNames.includes('use_cache_branch'))
      feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([0]), [1])
    let out: Record<string, OrtTensor>
    try {
      out = await session.run(feeds)
    }
    catch (e) {
      throw new AttributionError('backend', `The model forward failed: ${(e as Error).message}`)
    }
    stats.forwardCalls++
    stats.rows += B
    stats.tokens += seqs.reduce((a, s) => a + s.length, 0)
    return { lp: out.target_logprobs.data as Float32Array, K }
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
    const result: Float32Array[] = Array.from({ length: rows.length })
    let start = 0
    while (start < rows.length) {
      // Consecutive rows while rows × padded length stays within the budget.
      let end = start + 1
      let maxLen = seqs[start].length
      while (end < rows.length && Math.max(maxLen, seqs[end].length) * (end - start + 1) <= maxBatchTokens) {
        maxLen = Math.max(maxLen, seqs[end].length)
        end++
      }
      const { lp, K } = await forward(seqs.slice(start, end), rows.slice(start, end))
      for (let r = start; r < end; r++) {
        const b = r - start
        result[r] = lp.slice(b * K, b * K + rows[r].targetIds.length) // [T]
      }
      start = end
    }
    return result
  }

  return {
    ...lm,
    stats,
    scoreTargets,
    async dispose() {
      await session.release()
      await lm.dispose()
    },
  }
}
