import type { ModelFiles } from '../core/files'
import type { SafeTensor } from './safetensors'
import type { TfBackendName, TfBackendOptions } from './tf-backend'
/**
 * GPT-2 (Hugging Face `GPT2LMHeadModel` semantics) in TensorFlow.js, on the same
 * `model.safetensors` the ORT model is exported from. ORT gives no gradients, so the
 * gradient methods run this twin; it must give the same logits (tested to 1e-4).
 *
 * Architecture: h = wte[ids] + wpe[pos]; per block h += attn(ln_1(h)); h += mlp(ln_2(h));
 * logits = ln_f(h) @ wteᵀ (tied LM head unless `lm_head.weight` is present).
 */
import { AttributionError } from '../core/errors'
import { readJson } from '../core/files'
import { readSafetensors } from './safetensors'
import { initTfBackend, tf } from './tf-backend'

/** The config.json fields the forward needs (camelCase). */
export interface Gpt2Config {
  nLayer: number
  nEmbd: number
  nHead: number
  nPositions: number
  vocabSize: number
  nInner: number
  layerNormEpsilon: number
  activation: 'gelu_new' | 'gelu'
}

/** HF's `torch.finfo(torch.float32).min`, the value masked attention scores take. */
export const F32_MIN = -3.4028234663852886e38

interface Block {
  ln1g: tf.Tensor1D
  ln1b: tf.Tensor1D
  // c_attn [E, 3E] split once at load into q, k, v: [E, E] each (a per-call split along
  // the last axis is slow on the CPU backend).
  qW: tf.Tensor2D
  qB: tf.Tensor1D
  kW: tf.Tensor2D
  kB: tf.Tensor1D
  vW: tf.Tensor2D
  vB: tf.Tensor1D
  projW: tf.Tensor2D
  projB: tf.Tensor1D // [E, E]
  ln2g: tf.Tensor1D
  ln2b: tf.Tensor1D
  fcW: tf.Tensor2D
  fcB: tf.Tensor1D // [E, 4E]
  fcProjW: tf.Tensor2D
  fcProjB: tf.Tensor1D // [4E, E]
}

/**
 * Parses a Hugging Face GPT-2 `config.json` object.
 *
 * @example
 * const cfg = parseGpt2Config({ n_layer: 2, n_embd: 32, n_head: 2, n_positions: 128, vocab_size: 50257 })
 */
export function parseGpt2Config(raw: Record<string, unknown>): Gpt2Config {
  const num = (k: string, fallback?: number): number => {
    const v = raw[k] ?? fallback
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new AttributionError('corrupt-model', `GPT-2 config.json lacks a numeric "${k}".`)
    return v
  }
  const act = String(raw.activation_function ?? 'gelu_new')
  const activation = act === 'gelu_new' || act === 'gelu_pytorch_tanh' ? 'gelu_new' : act === 'gelu' ? 'gelu' : null
  if (!activation)
    throw new AttributionError('unsupported', `GPT-2 activation "${act}" is not supported (gelu_new, gelu_pytorch_tanh, gelu).`)
  const nEmbd = num('n_embd')
  const nHead = num('n_head')
  if (nEmbd % nHead !== 0)
    throw new AttributionError('corrupt-model', `GPT-2 config: n_embd ${nEmbd} is not a multiple of n_head ${nHead}.`)
  return {
    nLayer: num('n_layer'),
    nEmbd,
    nHead,
    nPositions: num('n_positions', raw.n_ctx as number | undefined),
    vocabSize: num('vocab_size'),
    nInner: typeof raw.n_inner === 'number' ? raw.n_inner : 4 * nEmbd,
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
    activation,
  }
}

/**
 * A loaded GPT-2. Every method is tidy: it leaves no tensors behind except the ones it
 * returns (which the caller disposes), so `tf.memory().numTensors` stays flat.
 */
export class Gpt2Tfjs {
  readonly config: Gpt2Config
  readonly backend: TfBackendName
  private readonly wte: tf.Tensor2D // [V, E]
  private readonly wpe: tf.Tensor2D // [nPositions, E]
  private readonly lmHead: tf.Tensor2D // [V, E] (= wte when tied)
  private readonly lnfG: tf.Tensor1D
  private readonly lnfB: tf.Tensor1D
  private readonly blocks: Block[]
  private disposed = false

  private constructor(config: Gpt2Config, backend: TfBackendName, weights: Map<string, SafeTensor>) {
    this.config = config
    this.backend = backend
    const { nEmbd: E, nInner: I, vocabSize: V, nPositions: P } = config
    const get = (name: string, shape: number[]): tf.Tensor => {
      const t = weights.get(`transformer.${name}`) ?? weights.get(name)
      if (!t)
        throw new AttributionError('corrupt-model', `GPT-2 weights lack ${name} (with or without the "transformer." prefix).`)
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
        throw new AttributionError('corrupt-model', `GPT-2 weight ${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}].`)
      return tf.tensor(t.data, shape, 'float32')
    }
    const made: tf.Tensor[] = []
    const keep = <T extends tf.Tensor>(t: T): T => {
      made.push(t)
      return t
    }
    try {
      this.wte = keep(get('wte.weight', [V, E])) as tf.Tensor2D
      this.wpe = keep(get('wpe.weight', [P, E])) as tf.Tensor2D
      const head = weights.get('lm_head.weight')
      this.lmHead = head ? keep(tf.tensor2d(head.data, [V, E])) : this.wte
      this.lnfG = keep(get('ln_f.weight', [E])) as tf.Tensor1D
      this.lnfB = keep(get('ln_f.bias', [E])) as tf.Tensor1D
      this.blocks = []
      for (let i = 0; i < config.nLayer; i++) {
        const p = `h.${i}.`
        const attnW = get(`${p}attn.c_attn.weight`, [E, 3 * E])
        const attnB = get(`${p}attn.c_attn.bias`, [3 * E])
        const [qW, kW, vW] = tf.split(attnW, 3, 1).map(keep) as tf.Tensor2D[]
        const [qB, kB, vB] = tf.split(attnB, 3, 0).map(keep) as tf.Tensor1D[]
        attnW.dispose()
        attnB.dispose()
        this.blocks.push({
          ln1g: keep(get(`${p}ln_1.weight`, [E])) as tf.Tensor1D,
          ln1b: keep(get(`${p}ln_1.bias`, [E])) as tf.Tensor1D,
          qW,
          qB,
          kW,
          kB,
          vW,
          vB,
          projW: keep(get(`${p}attn.c_proj.weight`, [E, E])) as tf.Tensor2D,
          projB: keep(get(`${p}attn.c_proj.bias`, [E])) as tf.Tensor1D,
          ln2g: keep(get(`${p}ln_2.weight`, [E])) as tf.Tensor1D,
          ln2b: keep(get(`${p}ln_2.bias`, [E])) as tf.Tensor1D,
          fcW: keep(get(`${p}mlp.c_fc.weight`, [E, I])) as tf.Tensor2D,
          fcB: keep(get(`${p}mlp.c_fc.bias`, [I])) as tf.Tensor1D,
          fcProjW: keep(get(`${p}mlp.c_proj.weight`, [I, E])) as tf.Tensor2D,
          fcProjB: keep(get(`${p}mlp.c_proj.bias`, [E])) as tf.Tensor1D,
        })
      }
    }
    catch (e) {
      made.forEach(t => t.dispose())
      throw e
    }
  }

  /**
   * Loads `config.json` + `model.safetensors` from a model folder or URL prefix.
   *
   * @example
   * const model = await Gpt2Tfjs.load(nodeFiles('/work/shared/captum-reference/gpt2-tiny'))
   * const logits = model.logits([[27984, 3160]]) // [1, 2, 50257]
   */
  static async load(files: ModelFiles, options: TfBackendOptions = {}): Promise<Gpt2Tfjs> {
    let backend: TfBackendName
    try {
      backend = await initTfBackend(options)
    }
    catch (e) {
      throw new AttributionError('backend', (e as Error).message)
    }
    const config = parseGpt2Config(await readJson<Record<string, unknown>>(files, 'config.json'))
    const { tensors } = await readSafetensors(files)
    return new Gpt2Tfjs(config, backend, tensors)
  }

  /**
   * Builds a model from in-memory weights (tests, or a caller that already read the file).
   *
   * @example
   * const { tensors } = parseSafetensors(bytes)
   * const model = await Gpt2Tfjs.fromWeights(parseGpt2Config(configJson), tensors)
   */
  static async fromWeights(config: Gpt2Config, weights: Map<string, SafeTensor>, options: TfBackendOptions = {}): Promise<Gpt2Tfjs> {
    const backend = await initTfBackend(options)
    return new Gpt2Tfjs(config, backend, weights)
  }

  /** Frees the weights. */
  dispose(): void {
    if (this.disposed)
      return
    this.disposed = true
    const all = [this.wte, this.wpe, this.lnfG, this.lnfB, ...this.blocks.flatMap(b => Object.values(b) as tf.Tensor[])]
    if (this.lmHead !== this.wte)
      all.push(this.lmHead)
    all.forEach(t => t.dispose())
  }

  private checkIds(ids: number[][]): void {
    const { vocabSize, nPositions } = this.config
    if (ids.length === 0 || ids[0].length === 0)
      throw new AttributionError('empty-input', 'The model needs at least one token.')
    for (const row of ids) {
      if (row.length !== ids[0].length)
        throw new AttributionError('bad-request', 'All rows of a batch must have the same length.')
      if (row.length > nPositions)
        throw new AttributionError('too-long', `${row.length} tokens exceed the model's context of ${nPositions}.`)
      for (const id of row) {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
          throw new AttributionError('bad-request', `Token id ${id} is outside the vocabulary (0…${vocabSize - 1}).`)
      }
    }
  }

  /**
   * Token embeddings `wte[ids]` as a tensor [B, L, E] (the layer Captum's LayerIG attributes).
   *
   * @example
   * const x = model.embedTokens([[27984, 3160]]) // [1, 2, 32]; dispose it when done
   */
  embedTokens(ids: number[][]): tf.Tensor3D {
    this.checkIds(ids)
    const [B, L] = [ids.length, ids[0].length]
    return tf.tidy(() => tf.gather(this.wte, tf.tensor1d(ids.flat(), 'int32')).reshape([B, L, this.config.nEmbd]))
  }

  /**
   * Token embeddings `wte[ids]` copied to JS, row-major [L, E].
   *
   * @example
   * const x = await model.embed([27984, 3160]) // Float32Array(2 * 32)
   */
  async embed(ids: number[]): Promise<Float32Array> {
    const t = this.embedTokens([ids])
    try {
      return (await t.data()) as Float32Array
    }
    finally {
      t.dispose()
    }
  }

  /**
   * LayerNorm over the last axis (biased variance, two-pass, as torch). Per-row statistics
   * are spread back over E with a rank-1 matmul instead of a [N, 1] broadcast: tfjs's CPU
   * backend runs broadcasts of size-1 axes element by element through index arithmetic.
   */
  private layerNorm(x: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor {
    const E = this.config.nEmbd
    const ones = tf.ones([1, E])
    const x2 = x.reshape([-1, E]) // [N, E]
    const xc = x2.sub(tf.matMul(x2.mean(1, true), ones))
    const inv = tf.rsqrt(xc.square().mean(1, true).add(this.config.layerNormEpsilon)) // [N, 1]
    return xc.mul(tf.matMul(inv, ones)).mul(g).add(b).reshape(x.shape)
  }

  private act(x: tf.Tensor): tf.Tensor {
    if (this.config.activation === 'gelu')
      return x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1))
    // gelu_new(x) = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))
    const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))
    return x.mul(0.5).mul(tf.tanh(inner).add(1))
  }

  /** Conv1D: y = x @ W + b with W [in, out], x [..., in]. */
  private conv1d(x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor {
    const shape = x.shape
    const out = tf.matMul(x.reshape([-1, shape[shape.length - 1]]), w).add(b)
    return out.reshape([...shape.slice(0, -1), w.shape[1]])
  }

  /**
   * The final hidden states `ln_f(h)` [B, L, E] from input embeddings [B, L, E] (not
   * tidied: call inside `tf.tidy` or a gradient).
   *
   * @example
   * const h = tf.tidy(() => model.hiddenFromEmbeds(model.embedTokens([[1, 2, 3]]))) // [1, 3, E]
   */
  hiddenFromEmbeds(inputsEmbeds: tf.Tensor3D, positionIds?: number[][]): tf.Tensor3D {
    const [B, L, E] = inputsEmbeds.shape
    const { nHead: H, nPositions } = this.config
    const D = E / H
    if (L > nPositions)
      throw new AttributionError('too-long', `${L} tokens exceed the model's context of ${nPositions}.`)
    // Default position_ids = arange(L) for every row (no past, no padding).
    const pos = positionIds ? tf.tensor1d(positionIds.flat(), 'int32') : tf.tile(tf.range(0, L, 1, 'int32'), [B])
    let h: tf.Tensor = inputsEmbeds.add(tf.gather(this.wpe, pos).reshape([B, L, E]))
    // Causal mask as an additive bias: 0 where j ≤ i, finfo(f32).min above the diagonal,
    // which after softmax is exactly 0 like HF's where(causal, s, finfo.min).
    const causal = new Float32Array(L * L)
    for (let i = 0; i < L; i++) {
      for (let j = i + 1; j < L; j++) causal[i * L + j] = F32_MIN
    }
    // [L, L], broadcast over [B, H] as a trailing-shape operand (the backends' fast path).
    const bias = tf.tensor2d(causal, [L, L])
    const scale = 1 / Math.sqrt(D)
    const heads = (t: tf.Tensor) => t.reshape([B, L, H, D]).transpose([0, 2, 1, 3]) // [B, H, L, D]
    for (const blk of this.blocks) {
      const a = this.layerNorm(h, blk.ln1g, blk.ln1b)
      // c_attn's output columns are q | k | v, heads = consecutive D-wide slices.
      const q = heads(this.conv1d(a, blk.qW, blk.qB))
      const k = heads(this.conv1d(a, blk.kW, blk.kB))
      const v = heads(this.conv1d(a, blk.vW, blk.vB))
      const scores = tf.matMul(q, k, false, true).mul(scale).add(bias) // [B, H, L, L]
      const probs = tf.softmax(scores, -1)
      const ctx = tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([B, L, E]) // [B, L, E]
      h = h.add(this.conv1d(ctx, blk.projW, blk.projB))
      const m = this.layerNorm(h, blk.ln2g, blk.ln2b)
      h = h.add(this.conv1d(this.act(this.conv1d(m, blk.fcW, blk.fcB)), blk.fcProjW, blk.fcProjB))
    }
    return this.layerNorm(h, this.lnfG, this.lnfB) as tf.Tensor3D
  }

  /**
   * LM head on hidden states [N, E] → logits [N, V] (not tidied).
   *
   * @example
   * const logits = tf.tidy(() => model.headLogits(h.reshape([-1, E]) as tf.Tensor2D))
   */
  headLogits(hidden: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(hidden, this.lmHead, false, true)
  }

  /**
   * Logits [B, L, V] from input embeddings [B, L, E] and optional position ids [B][L]
   * (default 0…L−1). The caller disposes the result.
   *
   * @example
   * const x = model.embedTokens([[27984, 3160]])
   * const logits = model.logitsFromEmbeds(x) // [1, 2, 50257]
   */
  logitsFromEmbeds(inputsEmbeds: tf.Tensor3D, positionIds?: number[][]): tf.Tensor3D {
    const [B, L, E] = inputsEmbeds.shape
    return tf.tidy(() => {
      const h = this.hiddenFromEmbeds(inputsEmbeds, positionIds).reshape([B * L, E]) as tf.Tensor2D
      return this.headLogits(h).reshape([B, L, this.config.vocabSize]) as tf.Tensor3D
    })
  }

  /**
   * Logits [B, L, V] for token ids [B][L] (all rows the same length, no padding).
   *
   * @example
   * const logits = model.logits([[27984, 3160, 287]])
   * const data = await logits.data(); logits.dispose()
   */
  logits(ids: number[][], positionIds?: number[][]): tf.Tensor3D {
    return tf.tidy(() => this.logitsFromEmbeds(this.embedTokens(ids), positionIds))
  }

  /**
   * Greedy decoding (HF `generate(do_sample=False)`): appends the argmax token until
   * `maxNewTokens` or `eosTokenId` (which is kept, as HF returns it). Returns the new ids.
   *
   * @example
   * const next = await model.generate([27984, 3160], 5, 50256) // 5 greedy ids
   */
  async generate(promptIds: number[], maxNewTokens: number, eosTokenId?: number): Promise<number[]> {
    const ids = promptIds.slice()
    const out: number[] = []
    while (out.length < maxNewTokens && ids.length < this.config.nPositions) {
      const next = tf.tidy(() => {
        const E = this.config.nEmbd
        const h = this.hiddenFromEmbeds(this.embedTokens([ids])) // [1, L, E]
        const last = h.slice([0, ids.length - 1, 0], [1, 1, E]).reshape([1, E]) as tf.Tensor2D
        return tf.argMax(this.headLogits(last), -1) // [1]
      })
      const id = (await next.data())[0]
      next.dispose()
      out.push(id)
      ids.push(id)
      if (id === eosTokenId)
        break
    }
    return out
  }

  /**
   * Per-row target log-probs and their gradients with respect to the input embeddings.
   * Row r has embeddings `embeds[r]` [L, E]; its scalar is
   * F_r = log_softmax(logits[r, positions[r]])[targets[r]]. Rows are independent, so the
   * gradient of Σ_r F_r split by row is each row's own ∂F_r/∂x_r. Only the first
   * `gradPositions` positions of each gradient are copied back (the prompt).
   *
   * Shapes: embeds [rows·L·E] → logProbs [rows], grads [rows, gradPositions, E].
   *
   * @example
   * const { logProbs, grads } = await model.logProbGrads(x, 1, 2, [1], [287], 2)
   */
  async logProbGrads(embeds: Float32Array, rows: number, seqLen: number, positions: ArrayLike<number>, targets: ArrayLike<number>, gradPositions: number): Promise<{ logProbs: Float32Array, grads: Float32Array }> {
    const { nEmbd: E, vocabSize: V } = this.config
    if (embeds.length !== rows * seqLen * E)
      throw new AttributionError('bad-request', `logProbGrads: ${embeds.length} embedding values for ${rows}×${seqLen}×${E}.`)
    for (let r = 0; r < rows; r++) {
      if (!(positions[r] >= 0 && positions[r] < seqLen) || !(targets[r] >= 0 && targets[r] < V))
        throw new AttributionError('bad-request', `logProbGrads: row ${r} reads position ${positions[r]} / token ${targets[r]} out of range.`)
    }
    let lp: tf.Tensor
    let g: tf.Tensor
    try {
      [lp, g] = this.gradPass(embeds, rows, seqLen, positions, targets, gradPositions)
    }
    catch (e) {
      if (e instanceof AttributionError)
        throw e
      throw new AttributionError('backend', `The ${this.backend} gradient pass failed: ${(e as Error).message}`)
    }
    try {
      const [logProbs, grads] = await Promise.all([lp.data(), g.data()])
      return { logProbs: logProbs as Float32Array, grads: grads as Float32Array }
    }
    finally {
      lp.dispose()
      g.dispose()
    }
  }

  private gradPass(embeds: Float32Array, rows: number, seqLen: number, positions: ArrayLike<number>, targets: ArrayLike<number>, gradPositions: number): [tf.Tensor, tf.Tensor] {
    const { nEmbd: E, vocabSize: V } = this.config
    return tf.tidy(() => {
      const x = tf.tensor3d(embeds, [rows, seqLen, E])
      // Selections are one-hot products, not gathers: the gradient of a gather is an
      // UnsortedSegmentSum, which the CPU backend runs as one pass per segment.
      const pick = new Float32Array(rows * seqLen)
      for (let r = 0; r < rows; r++) pick[r * seqLen + positions[r]] = 1
      const onehot = tf.tensor3d(pick, [rows, 1, seqLen])
      const headRows = tf.gather(this.lmHead, tf.tensor1d(Int32Array.from({ length: rows }, (_, r) => targets[r]), 'int32')) // [rows, E], constant
      const f = (e: tf.Tensor): tf.Tensor => {
        const h = this.hiddenFromEmbeds(e as tf.Tensor3D) // [rows, seqLen, E]
        const sel = tf.matMul(onehot, h).reshape([rows, E]) as tf.Tensor2D // [rows, E]
        return targetLogProb(sel) // [rows]
      }
      // log_softmax(sel @ Wᵀ)[t] = sel·W[t] − logsumexp(sel @ Wᵀ), with its gradient
      // W[t] − softmax @ W written out: autodiff through logSumExp makes a dozen
      // elementwise passes over [rows, V], which dominate on the CPU backend.
      const targetLogProb = tf.customGrad((s, save) => {
        const sel = s as tf.Tensor2D
        const logits = this.headLogits(sel) // [rows, V]
        // Row statistics are spread over V by a rank-1 matmul, not a [rows, 1] broadcast
        // (which tfjs's CPU backend runs element by element through index arithmetic).
        const onesV = tf.ones([1, V])
        const m = logits.max(1, true) // [rows, 1]
        const ex = tf.exp(logits.sub(tf.matMul(m, onesV))) // [rows, V]
        const z = ex.sum(1, true) // [rows, 1]
        const value = sel.mul(headRows).sum(1).sub(m.add(tf.log(z)).reshape([rows]))
        ;(save as tf.GradSaveFunc)([ex.mul(tf.matMul(tf.reciprocal(z), onesV))]) // softmax [rows, V], kept for the backward
        return {
          value,
          gradFunc: (dy, [probs]) => dy.reshape([rows, 1]).mul(headRows.sub(tf.matMul(probs, this.lmHead))),
        }
      })
      const { value, grad } = tf.valueAndGrad(f)(x, tf.ones([rows]))
      const cut = gradPositions === seqLen ? grad : grad.slice([0, 0, 0], [rows, gradPositions, E])
      return [value, cut] as [tf.Tensor, tf.Tensor]
    })
  }
}
