import type { BowActivation, BowConfig, BowLayer } from '../core/bow-format'
import type { ModelFiles } from '../core/files'
import type { GradientFn, MaskForward, ScalarForward } from '../core/types'
import type { TfBackendName } from './tf-backend'
import { readBowFolder } from '../core/bow-format'
/**
 * The course's bag-of-words classifier in TensorFlow.js:
 *   x [n, V] → fc1 → hardsigmoid → fc2 → hardsigmoid → fc3 → hardsigmoid → fc4 → sigmoid → [n, 2]
 * with PyTorch's semantics (F.hardsigmoid = relu6(z+3)/6, its gradient 1/6 strictly inside
 * (−3, 3) and 0 elsewhere, two independent sigmoid outputs). It turns the model into the
 * engine's contracts (ScalarForward, GradientFn, MaskForward, DeepLift multipliers); the
 * methods never see tfjs.
 */
import { AttributionError } from '../core/errors'
import { initTfBackend, tf } from './tf-backend'

/** DeepLift flavours, see `BowModel.deepLiftMultipliers`. */
export type BowDeepLiftVariant = 'rescale' | 'captum' | 'captum-module'

/** DeepLift's eps in Captum (`nonlinear`): below it the rescale rule falls back to the gradient. */
const DEEPLIFT_EPS = 1e-10

/**
 * PyTorch's `F.hardsigmoid` with PyTorch's gradient. tfjs's clipByValue passes the
 * gradient through at the clip bounds (x ≥ min && x ≤ max); PyTorch's
 * `hardsigmoid_backward` uses the open interval −3 < z < 3, so a unit sitting exactly on
 * ±3 contributes an exact 0, as in Captum's saturated example.
 */
export const hardsigmoid = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
  save([z])
  return {
    value: tf.div(tf.clipByValue(tf.add(z, 3), 0, 6), 6),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, hardsigmoidDerivative(saved[0]!)),
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (z: tf.Tensor) => tf.Tensor

/** 1/6 where −3 < z < 3, else 0 (float32, as PyTorch's `one_sixth`). */
function hardsigmoidDerivative(z: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.cast(tf.logicalAnd(tf.greater(z, -3), tf.less(z, 3)), 'float32'), 1 / 6))
}

/** A layer's nonlinearity, as `bow.json`'s `activations` names it. */
function activate(kind: BowActivation, z: tf.Tensor): tf.Tensor {
  return kind === 'hardsigmoid' ? hardsigmoid(z) : tf.sigmoid(z)
}

/** The activation's derivative at z, given its output a = activate(kind, z) (PyTorch's backward). */
function activationDerivative(kind: BowActivation, z: tf.Tensor, a: tf.Tensor): tf.Tensor {
  return kind === 'hardsigmoid' ? hardsigmoidDerivative(z) : tf.mul(a, tf.sub(1, a))
}

/** The rows of a dense vector that a perturbation method treats as features. */
export interface BowFeatureGroups {
  /** Present vocab indices, ascending: group g ↔ presentIndices[g]. */
  presentIndices: number[]
  /** k + 1: the present words plus the "rest" group of all absent entries (a null player). */
  nFeatures: number
}

/**
 * A loaded BoW model. Create with `BowModel.load(files)`; call `dispose()` when done.
 *
 * @example
 * const model = await BowModel.load(nodeFiles('public/models/bow'))
 * const [probs] = await model.predict([model.vectorize(['love', 'game'])]) // [p(neg), p(pos)]
 */
export class BowModel {
  private readonly weights: tf.Tensor2D[] // [in, out] (transposed once for matMul)
  private readonly biases: tf.Tensor1D[]
  /** One per linear layer, from bow.json (the course model: hardsigmoid ×3, then sigmoid). */
  private readonly activations: BowActivation[]
  readonly vocabIndex: Map<string, number>
  /** Number of forward rows evaluated since load (for RunStats). */
  rowsEvaluated = 0
  forwardCalls = 0

  private constructor(readonly config: BowConfig, layers: BowLayer[], readonly backend: TfBackendName) {
    this.weights = layers.map(l => tf.tidy(() => tf.transpose(tf.tensor2d(l.weight, [l.outSize, l.inSize]))) as tf.Tensor2D)
    this.biases = layers.map(l => tf.tensor1d(l.bias))
    this.activations = layers.map(l => l.activation)
    this.vocabIndex = new Map(config.vocab.map((t, i) => [t, i]))
  }

  /**
   * Reads a BoW folder through `ModelFiles` (Node folder or URL) and uploads the weights.
   *
   * @example
   * const model = await BowModel.load(httpFiles('/models/bow/'), { prefer: ['webgpu', 'wasm', 'cpu'] })
   */
  static async load(files: ModelFiles, options: { prefer?: TfBackendName[], wasmPaths?: Record<string, string> } = {}): Promise<BowModel> {
    const { config, layers } = await readBowFolder(files)
    let backend: TfBackendName
    try {
      backend = await initTfBackend({ prefer: options.prefer, wasmPaths: options.wasmPaths })
    }
    catch (e) {
      throw new AttributionError('backend', (e as Error).message)
    }
    return new BowModel(config, layers, backend)
  }

  get vocabSize(): number {
    return this.config.layerSizes[0]!
  }

  get nClasses(): number {
    return this.config.layerSizes[this.config.layerSizes.length - 1]!
  }

  /** Count vector of model tokens (unknown tokens are ignored: map them to `<UNK>` first). */
  vectorize(tokens: string[]): Float64Array {
    const x = new Float64Array(this.vocabSize)
    for (const t of tokens) {
      const i = this.vocabIndex.get(t)
      if (i !== undefined)
        x[i]! += 1
    }
    return x
  }

  /** Feature groups of `x` for perturbation methods (the reference's mask convention). */
  featureGroups(x: Float64Array): BowFeatureGroups {
    const presentIndices: number[] = []
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== 0)
        presentIndices.push(i)
    }
    return { presentIndices, nFeatures: presentIndices.length + 1 }
  }

  private toTensor(xs: Float64Array[]): tf.Tensor2D {
    const v = this.vocabSize
    const flat = new Float32Array(xs.length * v)
    xs.forEach((x, r) => {
      if (x.length !== v)
        throw new AttributionError('bad-request', `Input row has ${x.length} entries; the model expects ${v}.`)
      flat.set(x, r * v)
    })
    this.forwardCalls++
    this.rowsEvaluated += xs.length
    return tf.tensor2d(flat, [xs.length, v])
  }

  /** The graph: [n, V] → [n, C] class probabilities (each layer's own activation). Call inside a tidy/grad. */
  private probs(x: tf.Tensor): tf.Tensor {
    let h = x
    this.weights.forEach((w, l) => {
      h = activate(this.activations[l]!, tf.add(tf.matMul(h, w), this.biases[l]!))
    })
    return h
  }

  private checkTarget(target: number): void {
    if (!Number.isInteger(target) || target < 0 || target >= this.nClasses)
      throw new AttributionError('bad-request', `Target must be a class index 0…${this.nClasses - 1} (got ${target}).`)
  }

  /** Probabilities of every class: [n][C]. */
  async predict(xs: Float64Array[]): Promise<number[][]> {
    if (xs.length === 0)
      return []
    const out = tf.tidy(() => this.probs(this.toTensor(xs)))
    const data = await out.data()
    out.dispose()
    const c = this.nClasses
    return xs.map((_, r) => Array.from(data.subarray(r * c, (r + 1) * c)))
  }

  /**
   * Batched forward of the target-class probability over dense inputs.
   *
   * @example
   * const f = model.scalarForward(1)
   * await f([x]) // [p(positive | x)]
   */
  scalarForward(target: number): ScalarForward {
    this.checkTarget(target)
    return async (xs) => {
      if (xs.length === 0)
        return []
      const out = tf.tidy(() => tf.squeeze(tf.slice(this.probs(this.toTensor(xs)), [0, target], [-1, 1]), [1]))
      const data = await out.data()
      out.dispose()
      return Array.from(data)
    }
  }

  /**
   * Batched gradient of the target-class probability (Captum: `autograd.grad(unbind(out[:, t]), x)`).
   * Rows are independent, so the gradient of the row sum is the per-row gradient.
   *
   * @example
   * const { outputs, grads } = await model.gradientFn(1)([x]) // grads[0]: [V]
   */
  gradientFn(target: number): GradientFn {
    this.checkTarget(target)
    return async (xs) => {
      if (xs.length === 0)
        return { outputs: [], grads: [] }
      // One forward + one hand-written backward (the same derivatives PyTorch uses:
      // hardsigmoid' = 1/6 on (−3, 3) else 0, σ' = σ(1−σ)); half the work of tf.grad
      // plus a separate forward for the outputs.
      const r = await this.backward(xs, null, target, 'captum')
      return { outputs: r.outputs, grads: r.multipliers }
    }
  }

  /**
   * MaskForward over the feature groups of `x`: mask bit g < k keeps word
   * `presentIndices[g]` (0 → its baseline 0), bit k is the rest group (null player).
   *
   * @example
   * const { forward, groups } = model.maskForward(x, 1)
   * await forward([Uint8Array.of(1, 0, 1)]) // [[p(pos | only the first word removed)]]
   */
  maskForward(x: Float64Array, target: number): { forward: MaskForward, groups: BowFeatureGroups } {
    const groups = this.featureGroups(x)
    const f = this.scalarForward(target)
    const forward: MaskForward = async (masks) => {
      const rows = masks.map((m) => {
        if (m.length !== groups.nFeatures)
          throw new AttributionError('bad-request', `Mask has ${m.length} entries; this input has ${groups.nFeatures} feature groups.`)
        const r = Float64Array.from(x)
        groups.presentIndices.forEach((idx, g) => {
          if (m[g] === 0)
            r[idx] = 0
        })
        return r
      })
      return (await f(rows)).map(v => [v])
    }
    return { forward, groups }
  }

  /**
   * DeepLift's modified gradient ("multipliers") of the target probability for each input
   * row against its baseline row: attributions are `(x − baseline) * multipliers`.
   *  - 'rescale': the real rescale rule Δout/Δin on every nonlinearity (all hardsigmoids and
   *    the sigmoid), falling back to the gradient where |Δin| < 1e-10, as Captum's `nonlinear`.
   *  - 'captum': what Captum 0.8 does on the course model, whose activations are functional
   *    (`F.hardsigmoid`, `torch.sigmoid`) and cannot be hooked: the plain gradient at x (≡ InputXGradient).
   *  - 'captum-module': activations as modules; only `nn.Sigmoid` is in Captum's
   *    SUPPORTED_NON_LINEAR, so only the output sigmoid is rescaled.
   *
   * @example
   * const { multipliers, outputs, baselineOutputs } = await model.deepLiftMultipliers([x], [zeros], 1, 'rescale')
   */
  async deepLiftMultipliers(xs: Float64Array[], baselines: Float64Array[], target: number, variant: BowDeepLiftVariant):
  Promise<{ multipliers: Float64Array[], outputs: number[], baselineOutputs: number[] }> {
    this.checkTarget(target)
    if (xs.length !== baselines.length)
      throw new AttributionError('bad-request', `DeepLift needs one baseline per input (${xs.length} inputs, ${baselines.length} baselines).`)
    if (xs.length === 0)
      return { multipliers: [], outputs: [], baselineOutputs: [] }
    return this.backward(xs, baselines, target, variant)
  }

  /** Forward on x (and baseline rows when given) and a manual backward of out[:, target]. */
  private async backward(xs: Float64Array[], baselines: Float64Array[] | null, target: number, variant: BowDeepLiftVariant):
  Promise<{ multipliers: Float64Array[], outputs: number[], baselineOutputs: number[] }> {
    const n = xs.length
    const withBase = baselines !== null
    const [grad, outX, outB] = tf.tidy(() => {
      const both = this.toTensor(withBase ? [...xs, ...baselines] : xs) // [2n, V], as Captum's cat([x, baseline])
      const zs: tf.Tensor[] = []
      const as: tf.Tensor[] = []
      let h: tf.Tensor = both
      const last = this.weights.length - 1
      for (let l = 0; l <= last; l++) {
        const z = tf.add(tf.matMul(h, this.weights[l]!), this.biases[l]!)
        h = activate(this.activations[l]!, z)
        zs.push(z)
        as.push(h)
      }
      const top = (t: tf.Tensor) => (withBase ? tf.slice(t, [0, 0], [n, -1]) : t)
      const bottom = (t: tf.Tensor) => (withBase ? tf.slice(t, [n, 0], [n, -1]) : t)
      // Backward pass by hand: g is ∂out_t/∂(activation of layer l) for the x rows. [n, width]
      let g: tf.Tensor = tf.oneHot(tf.fill([n], target, 'int32'), this.nClasses).toFloat()
      for (let l = last; l >= 0; l--) {
        const zx = top(zs[l]!)
        const zb = bottom(zs[l]!)
        const kind = this.activations[l]!
        const plain = activationDerivative(kind, zx, top(as[l]!))
        // Captum's SUPPORTED_NON_LINEAR holds nn.Sigmoid but no hardsigmoid.
        const rescaled = withBase && (variant === 'rescale' || (variant === 'captum-module' && kind === 'sigmoid'))
        let m = plain
        if (rescaled) {
          const dz = tf.sub(zx, zb)
          const da = tf.sub(top(as[l]!), bottom(as[l]!))
          m = tf.where(tf.less(tf.abs(dz), DEEPLIFT_EPS), plain, tf.div(da, dz))
        }
        // [n, out] @ [out, in] (our weights are stored [in, out])
        g = tf.matMul(tf.mul(g, m), this.weights[l]!, false, true)
      }
      const probs = as[last]!
      return [g, tf.squeeze(tf.slice(top(probs), [0, target], [-1, 1]), [1]), tf.squeeze(tf.slice(bottom(probs), [0, target], [-1, 1]), [1])]
    })
    const [g, ox, ob] = await Promise.all([grad.data(), outX.data(), outB.data()])
    grad.dispose()
    outX.dispose()
    outB.dispose()
    return { multipliers: splitRows(g, n, this.vocabSize), outputs: Array.from(ox), baselineOutputs: withBase ? Array.from(ob) : [] }
  }

  /** Frees the weight tensors. */
  dispose(): void {
    for (const t of [...this.weights, ...this.biases]) t.dispose()
  }
}

function splitRows(data: ArrayLike<number> & { subarray?: unknown }, n: number, width: number): Float64Array[] {
  const src = data as Float32Array
  return Array.from({ length: n }, (_, r) => Float64Array.from(src.subarray(r * width, (r + 1) * width)))
}

/** Current number of live tfjs tensors (for leak tests). */
export function liveTensorCount(): number {
  return tf.memory().numTensors
}
