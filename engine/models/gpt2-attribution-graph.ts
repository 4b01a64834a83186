import type { Gpt2Config } from './gpt2-config'
/**
 * One ONNX graph that gives every LLM attribution method what it needs from GPT-2, from
 * the `model.safetensors` weights, so that a single ONNX Runtime session (one copy of the
 * weights) serves the perturbation methods, generation and the gradient methods:
 *
 * - **score**: `input_ids` [B, S], `score_positions`, `score_ids` [B, K] →
 *   `target_logprobs` [B, K] = log_softmax(logits[b, pos])[id] and `argmax_ids` [B, K]
 *   (greedy generation). The LM head runs at the K scored positions only, so a teacher-
 *   forced row costs the body plus K head rows, and only B·K numbers come back.
 * - **embed**: `embed_ids` [N] → `token_embeds` [N, E] (the `wte` layer's output that
 *   Captum's layer methods attribute).
 * - **grad**: `inputs_embeds` [B, S, E], `grad_positions`, `grad_ids` [B, K] →
 *   `grad_logprobs` [B, K] (F_bk = log_softmax(logits[b, pos_bk])[id_bk]) and
 *   `grad_inputs_embeds` [B, K, S, E] = ∂F_bk/∂inputs_embeds[b]. The backward pass is
 *   written out op by op below (ONNX has no autodiff), through LayerNorm, causal
 *   attention, GELU, the linear layers and the LM head at one position per pair; the K
 *   pairs of a row share its forward.
 *
 * ORT's JS bindings feed graph inputs only (an initializer that doubles as an input is
 * not overridable from JS), so every run feeds all seven inputs: the paths it does not
 * need get empty batches (`gpt2-session.ts`), which cost next to nothing. Rows never interact, and attention
 * is causal only: right-padded score rows are exact at their real positions, which are the
 * only ones scored (as HF's attention_mask would give).
 *
 * Every transposed weight product is a Gemm with transB=1 on the stored weight, never a
 * Transpose of an initializer, so graph optimisation cannot fold a second, transposed copy
 * of a weight into the session.
 *
 * HF weight names (`transformer.` prefix optional, `lm_head.weight` when untied); Conv1D
 * weights are [in, out] as stored. With weights given by reference, the graph is a few
 * hundred kB and ONNX Runtime reads the weights from `model.safetensors` itself: no
 * protobuf copy of 330 MB, and one copy in the session.
 */
import { AttributionError } from '../core/errors'
import { F32_MIN } from './gpt2-config'
import { F32, GraphBuilder, I64, valueInfo } from './onnx-graph'

/**
 * A weight: float32 values in memory (as `parseSafetensors` decodes them), or a reference
 * to its little-endian float32 bytes in `model.safetensors` (`safetensorsIndex`), which
 * the graph then names as external data, so the graph itself holds no weights.
 */
export type WeightTensor
  = | { shape: number[], data: Float32Array }
    | { shape: number[], file: string, offset: number, length: number }

/** The opset the graph is written for (ReduceMean with `axes` attribute, ReduceSum with axes input). */
const OPSET = 14

/**
 * Builds the attribution graph's ONNX bytes.
 *
 * @example
 * const { tensors } = parseSafetensors(bytes)
 * const onnxBytes = buildGpt2AttributionGraph(tensors, parseGpt2Config(configJson))
 */
export function buildGpt2AttributionGraph(weights: Map<string, WeightTensor>, cfg: Gpt2Config): Uint8Array {
  const { nEmbd: E, nHead: H, nInner: I, vocabSize: V, nPositions: P, nLayer: L } = cfg
  const D = E / H
  const g = new GraphBuilder()
  const weight = (name: string, shape: number[]): string => {
    const key = weights.has(`transformer.${name}`) ? `transformer.${name}` : name
    const t = weights.get(key)
    if (!t)
      throw new AttributionError('corrupt-model', `GPT-2 weights lack ${name} (with or without the "transformer." prefix).`)
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      throw new AttributionError('corrupt-model', `GPT-2 weight ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`)
    return 'data' in t ? g.f32(name, shape, t.data) : g.external(name, shape, t.file, t.offset, t.length)
  }

  const wte = weight('wte.weight', [V, E])
  const wpe = weight('wpe.weight', [P, E])
  const head = weights.has('lm_head.weight') ? weight('lm_head.weight', [V, E]) : wte
  interface BlockWeights { ln1g: string, ln1b: string, attnW: string, attnB: string, projW: string, projB: string, ln2g: string, ln2b: string, fcW: string, fcB: string, fcProjW: string, fcProjB: string }
  const blocks: BlockWeights[] = Array.from({ length: L }, (_, i) => {
    const p = `h.${i}.`
    return {
      ln1g: weight(`${p}ln_1.weight`, [E]),
      ln1b: weight(`${p}ln_1.bias`, [E]),
      attnW: weight(`${p}attn.c_attn.weight`, [E, 3 * E]),
      attnB: weight(`${p}attn.c_attn.bias`, [3 * E]),
      projW: weight(`${p}attn.c_proj.weight`, [E, E]),
      projB: weight(`${p}attn.c_proj.bias`, [E]),
      ln2g: weight(`${p}ln_2.weight`, [E]),
      ln2b: weight(`${p}ln_2.bias`, [E]),
      fcW: weight(`${p}mlp.c_fc.weight`, [E, I]),
      fcB: weight(`${p}mlp.c_fc.bias`, [I]),
      fcProjW: weight(`${p}mlp.c_proj.weight`, [I, E]),
      fcProjB: weight(`${p}mlp.c_proj.bias`, [E]),
    }
  })
  const lnfG = weight('ln_f.weight', [E])
  const lnfB = weight('ln_f.bias', [E])

  // Constants.
  const c = {
    zero: g.i64([0], []),
    one: g.i64([1], []),
    one1: g.i64([1]),
    vocab: g.i64([V], []),
    axis0: g.i64([0]),
    axis1: g.i64([1]),
    axis2: g.i64([2]),
    axisLast: g.i64([-1]),
    axes12: g.i64([1, 2]),
    heads: g.i64([H, D]),
    width: g.i64([E]),
    flat: g.i64([-1, E]),
    sqrtD: g.scalar(Math.sqrt(D)),
    min: g.scalar(F32_MIN),
    eps: g.scalar(cfg.layerNormEpsilon),
    half: g.scalar(0.5),
    unit: g.scalar(1),
    three: g.scalar(3),
    geluC: g.scalar(Math.sqrt(2 / Math.PI)),
    geluA: g.scalar(0.044715),
    invSqrt2: g.scalar(Math.SQRT1_2),
    invSqrt2Pi: g.scalar(1 / Math.sqrt(2 * Math.PI)),
  }
  const gemmT = (a: string, w: string) => g.op('Gemm', [a, w], { transB: 1 }) // a @ wᵀ, a 2-D
  const linear = (a: string, w: string, b: string) => g.op('Add', [g.op('MatMul', [a, w]), b])
  const mean = (t: string) => g.op('ReduceMean', [t], { axes: [-1], keepdims: 1 })

  /** LayerNorm over the last axis (biased variance, as torch), keeping what its backward needs. */
  const layerNorm = (x: string, gamma: string, beta: string) => {
    const d = g.op('Sub', [x, mean(x)])
    const rstd = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [mean(g.op('Mul', [d, d])), c.eps])])]) // [N, 1]
    const xhat = g.op('Mul', [d, rstd])
    return { y: g.op('Add', [g.op('Mul', [xhat, gamma]), beta]), xhat, rstd }
  }
  /** ∂/∂x of LayerNorm: rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · γ. */
  const layerNormBack = (dy: string, ln: { xhat: string, rstd: string }, gamma: string) => {
    const dxhat = g.op('Mul', [dy, gamma])
    const centred = g.op('Sub', [dxhat, mean(dxhat)])
    return g.op('Mul', [ln.rstd, g.op('Sub', [centred, g.op('Mul', [ln.xhat, mean(g.op('Mul', [dxhat, ln.xhat]))])])])
  }
  /** GELU of the config, with what its derivative needs. */
  const gelu = (h: string) => {
    if (cfg.activation === 'gelu') {
      const erf = g.op('Erf', [g.op('Mul', [h, c.invSqrt2])])
      return { y: g.op('Mul', [g.op('Mul', [c.half, h]), g.op('Add', [c.unit, erf])]), h, t: erf }
    }
    // gelu_new(h) = 0.5·h·(1 + tanh(√(2/π)·(h + 0.044715·h³)))
    const inner = g.op('Mul', [c.geluC, g.op('Add', [h, g.op('Mul', [c.geluA, g.op('Pow', [h, c.three])])])])
    const t = g.op('Tanh', [inner])
    return { y: g.op('Mul', [g.op('Mul', [c.half, h]), g.op('Add', [c.unit, t])]), h, t }
  }
  const geluBack = (dy: string, a: { h: string, t: string }) => {
    const halfOnePlusT = g.op('Mul', [c.half, g.op('Add', [c.unit, a.t])])
    let rest: string
    if (cfg.activation === 'gelu') {
      // h · φ(h), φ the standard normal density.
      rest = g.op('Mul', [a.h, g.op('Mul', [c.invSqrt2Pi, g.op('Exp', [g.op('Neg', [g.op('Mul', [c.half, g.op('Mul', [a.h, a.h])])])])])])
    }
    else {
      // 0.5·h·(1 − t²)·√(2/π)·(1 + 3·0.044715·h²)
      const sech2 = g.op('Sub', [c.unit, g.op('Mul', [a.t, a.t])])
      const du = g.op('Mul', [c.geluC, g.op('Add', [c.unit, g.op('Mul', [g.scalar(3 * 0.044715), g.op('Mul', [a.h, a.h])])])])
      rest = g.op('Mul', [g.op('Mul', [c.half, a.h]), g.op('Mul', [sech2, du])])
    }
    return g.op('Mul', [dy, g.op('Add', [halfOnePlusT, rest])])
  }

  interface Saved { ln1: ReturnType<typeof layerNorm>, qh: string, kh: string, vh: string, p: string, ln2: ReturnType<typeof layerNorm>, act: ReturnType<typeof gelu> }

  /**
   * The last block's output rows that the score and gradient paths read: `sel` [B, K, S]
   * one-hot picks (`onehotPositions`) of the scored positions `positions` [B, K].
   */
  interface Scored { sel: string, positions: string, shape3: string, pos: string, B: string, K: string }

  /**
   * The transformer body on x [N = B·S, E] (token + position embeddings, rows of S tokens):
   * returns ln_f(h) [N, E] and, per block, what the backward pass reads. With `scored`, the
   * last block runs at the scored positions only (their queries against every key and
   * value; no other position's output is read after it) and `out` is [B·K, E]: on the
   * distilgpt2 shape, a teacher-forced row of 23 tokens with 8 scored skips about 6% of
   * its work, a generation step more.
   */
  const body = (x0: string, shape4: string, causal: string, scored?: Scored) => {
    // [N, E] → [B, H, S, D] and back.
    const heads = (t: string) => g.op('Transpose', [g.op('Reshape', [t, shape4])], { perm: [0, 2, 1, 3] })
    const merge = (t: string) => g.op('Reshape', [g.op('Transpose', [t], { perm: [0, 2, 1, 3] }), c.flat])
    let x = x0
    const saved: Saved[] = []
    for (const [i, w] of blocks.entries()) {
      const ln1 = layerNorm(x, w.ln1g, w.ln1b)
      const qkv = linear(ln1.y, w.attnW, w.attnB) // [N, 3E]
      const [q, k, v] = [g.fresh('q'), g.fresh('k'), g.fresh('v')]
      g.op('Split', [qkv, g.i64([E, E, E])], { axis: 1 }, [q, k, v])
      const [kh, vh] = [heads(k), heads(v)] // [B, H, S, D]
      if (scored && i === blocks.length - 1) {
        // [N, E] → the scored rows [B, K, E] (a one-hot MatMul: exact, on every backend).
        const pick = (t: string) => g.op('MatMul', [scored.sel, g.op('Reshape', [t, scored.shape3])])
        const qh = g.op('Transpose', [g.op('Reshape', [pick(q), g.op('Concat', [scored.B, scored.K, c.heads], { axis: 0 })])], { perm: [0, 2, 1, 3] }) // [B, H, K, D]
        const scores = g.op('Div', [g.op('MatMul', [qh, g.op('Transpose', [kh], { perm: [0, 1, 3, 2] })]), c.sqrtD]) // [B, H, K, S]
        // Query k sees keys j ≤ positions[b, k]: [B, 1, K, S].
        const seen = g.op('Unsqueeze', [g.op('LessOrEqual', [g.op('Unsqueeze', [scored.pos, c.axis0]), g.op('Unsqueeze', [scored.positions, c.axisLast])]), c.axis1])
        const p = g.op('Softmax', [g.op('Where', [seen, scores, c.min])], { axis: -1 })
        let xk = g.op('Add', [g.op('Reshape', [pick(x), c.flat]), linear(merge(g.op('MatMul', [p, vh])), w.projW, w.projB)]) // [B·K, E]
        const ln2 = layerNorm(xk, w.ln2g, w.ln2b)
        const act = gelu(linear(ln2.y, w.fcW, w.fcB)) // [B·K, I]
        xk = g.op('Add', [xk, linear(act.y, w.fcProjW, w.fcProjB)])
        const lnf = layerNorm(xk, lnfG, lnfB)
        // The last block's values at the scored rows: qh and p are [B, H, K, ·], ln2 and act [B·K, ·].
        return { out: lnf.y, lnf, saved, last: { ln1, qh, kh, vh, p, ln2, act } as Saved }
      }
      const qh = heads(q)
      const scores = g.op('Div', [g.op('MatMul', [qh, g.op('Transpose', [kh], { perm: [0, 1, 3, 2] })]), c.sqrtD]) // [B, H, S, S]
      const p = g.op('Softmax', [g.op('Where', [causal, scores, c.min])], { axis: -1 })
      x = g.op('Add', [x, linear(merge(g.op('MatMul', [p, vh])), w.projW, w.projB)])
      const ln2 = layerNorm(x, w.ln2g, w.ln2b)
      const act = gelu(linear(ln2.y, w.fcW, w.fcB)) // [N, I]
      x = g.op('Add', [x, linear(act.y, w.fcProjW, w.fcProjB)])
      saved.push({ ln1, qh, kh, vh, p, ln2, act })
    }
    const lnf = layerNorm(x, lnfG, lnfB)
    return { out: lnf.y, lnf, saved, last: undefined }
  }

  /** Shapes and the causal mask of rows of S tokens, from a [B, S, …] tensor's shape. */
  const rowsOf = (shapeOf: string) => {
    const shape = g.op('Shape', [shapeOf])
    const B = g.op('Slice', [shape, c.axis0, c.axis1, c.axis0]) // [1]
    const S = g.op('Slice', [shape, c.axis1, c.axis2, c.axis0]) // [1]
    const sScalar = g.op('Squeeze', [S, c.axis0])
    const pos = g.op('Range', [c.zero, sScalar, c.one]) // [S]
    // causal[i, j] = j ≤ i, broadcast over [B, H, S, S].
    const causal = g.op('LessOrEqual', [g.op('Unsqueeze', [pos, c.axis0]), g.op('Unsqueeze', [pos, c.axis1])])
    return {
      B,
      S,
      pos,
      causal,
      shape3: g.op('Concat', [B, S, c.width], { axis: 0 }), // [B, S, E]
      shape4: g.op('Concat', [B, S, c.heads], { axis: 0 }), // [B, S, H, D]
      posEmbeds: g.op('Gather', [wpe, pos], { axis: 0 }), // [S, E]
    }
  }
  /** sel[b, k, s] = (s == positions[b, k]) as float: position picks as MatMuls, on every backend. */
  const onehotPositions = (positions: string, seqPos: string) =>
    g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [positions, c.axisLast]), seqPos])], { to: F32 })

  // ---- score path -------------------------------------------------------------------
  {
    const r = rowsOf('input_ids')
    const x0 = g.op('Reshape', [g.op('Add', [g.op('Gather', [wte, 'input_ids'], { axis: 0 }), r.posEmbeds]), c.flat])
    const kShape = g.op('Shape', ['score_ids'])
    const sel = onehotPositions('score_positions', r.pos) // [B, K, S]
    const K = g.op('Slice', [kShape, c.axis1, c.axis2, c.axis0]) // [1]
    const { out: picked } = body(x0, r.shape4, r.causal, { sel, positions: 'score_positions', shape3: r.shape3, pos: r.pos, B: r.B, K }) // [B·K, E]
    const logits = gemmT(picked, head) // [B·K, V]
    const lsm = g.op('LogSoftmax', [logits], { axis: 1 })
    const ids = g.op('Reshape', ['score_ids', g.i64([-1, 1])])
    g.op('Reshape', [g.op('GatherElements', [lsm, ids], { axis: 1 }), kShape], {}, ['target_logprobs'])
    g.op('Reshape', [g.op('ArgMax', [logits], { axis: 1, keepdims: 0 }), kShape], {}, ['argmax_ids'])
  }

  // ---- embed path -------------------------------------------------------------------
  g.op('Gather', [wte, 'embed_ids'], { axis: 0 }, ['token_embeds'])

  // ---- gradient path ----------------------------------------------------------------
  // One forward per embedding row b, then one backward per scored pair (b, k): the
  // cotangents are [B, K, S, ·] and read the forward's saved values as [B, 1, S, ·]
  // (broadcast), so K targets of one sequence (every target token of one IG step) share
  // its forward. Pair (b, k) gets ∂F_bk/∂inputs_embeds[b] exactly as a row of its own
  // would. The last block runs at the scored positions only (as in the score path), so a
  // pair's cotangent goes back through ln_f, the MLP and c_proj at its one position.
  {
    const r = rowsOf('inputs_embeds')
    const x0 = g.op('Reshape', [g.op('Add', ['inputs_embeds', r.posEmbeds]), c.flat])
    const kShape = g.op('Shape', ['grad_ids']) // [B, K]
    const K = g.op('Slice', [kShape, c.axis1, c.axis2, c.axis0]) // [1]
    const sel = onehotPositions('grad_positions', r.pos) // [B, K, S]
    const { out: picked, lnf, saved, last } = body(x0, r.shape4, r.causal, { sel, positions: 'grad_positions', shape3: r.shape3, pos: r.pos, B: r.B, K }) // [B·K, E]
    const lsm = g.op('LogSoftmax', [gemmT(picked, head)], { axis: 1 }) // [B·K, V]
    const ids = g.op('Reshape', ['grad_ids', g.i64([-1, 1])]) // [B·K, 1]
    g.op('Reshape', [g.op('GatherElements', [lsm, ids], { axis: 1 }), kShape], {}, ['grad_logprobs'])

    // Shapes spelled out in full (no −1): an idle run has B = 0, where −1 is undefined.
    const cot = (width: number) => g.op('Concat', [r.B, K, r.S, g.i64([width])], { axis: 0 }) // [B, K, S, width]
    const cot5 = g.op('Concat', [r.B, K, r.S, c.heads], { axis: 0 }) // [B, K, S, H, D]
    /** A saved [N, X] value as [B, 1, S, X], broadcast over the K cotangents. */
    const shared = (t: string, width: number) => g.op('Reshape', [t, g.op('Concat', [r.B, c.one1, r.S, g.i64([width])], { axis: 0 })])
    const sharedLn = (ln: { xhat: string, rstd: string }) => ({ xhat: shared(ln.xhat, E), rstd: shared(ln.rstd, 1) })
    /** Saved [B, H, S, ·] attention values as [B, 1, H, S, ·]. */
    const shared5 = (t: string) => g.op('Unsqueeze', [t, c.axis1])
    /** A [B, K, S, X] cotangent times wᵀ (a Gemm on the stored weight): [B, K, S, X′]. */
    const gemmT4 = (t: string, w: string, width: number, outWidth: number) => g.op('Reshape', [gemmT(g.op('Reshape', [t, g.i64([-1, width])]), w), cot(outWidth)])
    const heads5 = (t: string) => g.op('Transpose', [g.op('Reshape', [t, cot5])], { perm: [0, 1, 3, 2, 4] }) // [B, K, H, S, D]
    const merge5 = (t: string) => g.op('Reshape', [g.op('Transpose', [t], { perm: [0, 1, 3, 2, 4] }), cot(E)]) // [B, K, S, E]
    const t5 = (t: string) => g.op('Transpose', [t], { perm: [0, 1, 2, 4, 3] })
    /** Pair (b, k)'s own row of a [B, H, K, X] value of the last block: [B, K, H, 1, X]. */
    const own = (t: string) => g.op('Unsqueeze', [g.op('Transpose', [t], { perm: [0, 2, 1, 3] }), g.i64([3])])
    /** A pair's [B·K, E] cotangent at its own position, spread over all: [B, K, S, E] (0 elsewhere). */
    const atOwnPosition = (t: string) => g.op('Mul', [g.op('Unsqueeze', [sel, c.axisLast]), g.op('Reshape', [t, g.op('Concat', [r.B, K, c.one1, c.width], { axis: 0 })])])

    // ∂F/∂logits = onehot(id) − softmax; ∂F/∂picked = that @ head.
    const vocabIds = g.op('Range', [c.zero, c.vocab, c.one]) // [V]
    const onehotIds = g.op('Cast', [g.op('Equal', [ids, vocabIds])], { to: F32 }) // [B·K, V]
    const dPicked = g.op('MatMul', [g.op('Sub', [onehotIds, g.op('Exp', [lsm])]), head]) // [B·K, E]

    // The last block, pair (b, k) at its own position: ln_f, the MLP and c_proj on [B·K, ·].
    const w = blocks[blocks.length - 1]!
    const s = last!
    let dk = layerNormBack(dPicked, lnf, lnfG) // ∂F/∂(block output) [B·K, E]
    dk = g.op('Add', [dk, layerNormBack(gemmT(geluBack(gemmT(dk, w.fcProjW), s.act), w.fcW), s.ln2, w.ln2g)])
    // Its query row of the attention: [B, K, H, 1, D] against every key and value.
    const dCtxOwn = g.op('Reshape', [gemmT(dk, w.projW), g.op('Concat', [r.B, K, c.one1, c.heads], { axis: 0 })]) // [B, K, 1, H, D]
    const dCtx = g.op('Transpose', [dCtxOwn], { perm: [0, 1, 3, 2, 4] }) // [B, K, H, 1, D]
    const pOwn = own(s.p) // [B, K, H, 1, S]
    const dvLast = g.op('MatMul', [t5(pOwn), dCtx]) // [B, K, H, S, D]
    const dpOwn = g.op('MatMul', [dCtx, t5(shared5(s.vh))]) // [B, K, H, 1, S]
    const dScoresOwn = g.op('Div', [g.op('Mul', [pOwn, g.op('Sub', [dpOwn, g.op('ReduceSum', [g.op('Mul', [dpOwn, pOwn]), c.axisLast], { keepdims: 1 })])]), c.sqrtD])
    const dqOwn = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [dScoresOwn, shared5(s.kh)])], { perm: [0, 1, 3, 2, 4] }), g.op('Concat', [r.B, K, c.one1, c.width], { axis: 0 })]) // [B, K, 1, E]
    const dkLast = g.op('MatMul', [t5(dScoresOwn), own(s.qh)]) // [B, K, H, S, D]
    const dqLast = g.op('Mul', [g.op('Unsqueeze', [sel, c.axisLast]), dqOwn]) // [B, K, S, E]
    const dQkvLast = g.op('Concat', [dqLast, merge5(dkLast), merge5(dvLast)], { axis: -1 }) // [B, K, S, 3E]
    let dx = g.op('Add', [atOwnPosition(dk), layerNormBack(gemmT4(dQkvLast, w.attnW, 3 * E, E), sharedLn(s.ln1), w.ln1g)]) // [B, K, S, E]

    for (let i = blocks.length - 2; i >= 0; i--) {
      const w = blocks[i]!
      const s = saved[i]!
      // x ← x + mlp(ln_2(x))
      const dAct = geluBack(gemmT4(dx, w.fcProjW, E, I), { h: shared(s.act.h, I), t: shared(s.act.t, I) }) // [B, K, S, I]
      dx = g.op('Add', [dx, layerNormBack(gemmT4(dAct, w.fcW, I, E), sharedLn(s.ln2), w.ln2g)])
      // x ← x + c_proj(attn(ln_1(x)))
      const p = shared5(s.p) // [B, 1, H, S, S]
      const dCtx = heads5(gemmT4(dx, w.projW, E, E)) // [B, K, H, S, D]
      const dv = g.op('MatMul', [t5(p), dCtx]) // pᵀ @ dctx
      const dp = g.op('MatMul', [dCtx, t5(shared5(s.vh))]) // [B, K, H, S, S]
      // Softmax backward; masked entries have p = 0 and get no gradient. Then the 1/√D.
      const dScores = g.op('Div', [g.op('Mul', [p, g.op('Sub', [dp, g.op('ReduceSum', [g.op('Mul', [dp, p]), c.axisLast], { keepdims: 1 })])]), c.sqrtD])
      const dq = g.op('MatMul', [dScores, shared5(s.kh)])
      const dk = g.op('MatMul', [t5(dScores), shared5(s.qh)])
      const dQkv = g.op('Concat', [merge5(dq), merge5(dk), merge5(dv)], { axis: -1 }) // [B, K, S, 3E]
      dx = g.op('Add', [dx, layerNormBack(gemmT4(dQkv, w.attnW, 3 * E, E), sharedLn(s.ln1), w.ln1g)])
    }
    // inputs_embeds enters as x0 = inputs_embeds + wpe[pos]: the same gradient.
    g.op('Identity', [dx], {}, ['grad_inputs_embeds']) // [B, K, S, E]
  }

  const inputs = [
    valueInfo('input_ids', I64, ['batch_size', 'sequence_length']),
    valueInfo('score_positions', I64, ['batch_size', 'n_scored']),
    valueInfo('score_ids', I64, ['batch_size', 'n_scored']),
    valueInfo('embed_ids', I64, ['n_ids']),
    valueInfo('inputs_embeds', F32, ['grad_batch', 'grad_sequence', E]),
    valueInfo('grad_positions', I64, ['grad_batch', 'grad_targets']),
    valueInfo('grad_ids', I64, ['grad_batch', 'grad_targets']),
  ]
  const outputs = [
    valueInfo('target_logprobs', F32, ['batch_size', 'n_scored']),
    valueInfo('argmax_ids', I64, ['batch_size', 'n_scored']),
    valueInfo('token_embeds', F32, ['n_ids', E]),
    valueInfo('grad_logprobs', F32, ['grad_batch', 'grad_targets']),
    valueInfo('grad_inputs_embeds', F32, ['grad_batch', 'grad_targets', 'grad_sequence', E]),
  ]
  return g.encode('gpt2_attribution', inputs, outputs, OPSET)
}
