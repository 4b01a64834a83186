/**
 * Training of the course's BoW classifier in tfjs (used by `npm run train:bow`). Same
 * architecture as grad_captum.ipynb (V → 30 → 50 → 100 → 2, F.hardsigmoid, sigmoid
 * outputs), PyTorch's nn.Linear init (U(±1/√fan_in) for weights and biases), Adam.
 *
 * Loss: binary cross-entropy on the two sigmoid outputs against one-hot labels. The
 * notebook applies `nn.CrossEntropyLoss` to the sigmoid outputs (a softmax over two
 * probabilities, whose gradients vanish as outputs saturate); BCE trains the same
 * outputs directly and is what the attributions explain. `loss: 'notebook-ce'` gives the
 * notebook's criterion.
 *
 * Inputs are dense count vectors per batch. (A sparse first layer via gather +
 * unsortedSegmentSum is far slower in tfjs: its CPU segment sum is O(segments × rows).)
 * Use the wasm backend in Node: ~8× faster than the plain-JS cpu backend for these matMuls.
 */
import { Rng } from '../core/rng'
import { hardsigmoid } from './bow-model'
import { tf } from './tf-backend'

export interface TrainExample {
  /** Vocab indices of the example's tokens (repeats = counts). */
  indices: number[]
  label: 0 | 1
}

export interface TrainOptions {
  vocabSize: number
  hidden?: [number, number, number]
  epochs?: number
  batchSize?: number
  learningRate?: number
  seed?: number
  loss?: 'bce' | 'notebook-ce'
  /** Called after each epoch with the validation metrics; return value ignored. */
  onEpoch?: (epoch: number, trainLoss: number, valid: BinaryMetrics) => void
}

export interface BinaryMetrics {
  accuracy: number
  /** F1 of the positive class. */
  f1Positive: number
  /** Mean of the per-class F1s. */
  f1Macro: number
  n: number
}

export interface TrainedLayers {
  layers: Array<{ weight: Float32Array, bias: Float32Array, inSize: number, outSize: number, activation: 'hardsigmoid' | 'sigmoid' }>
  bestEpoch: number
  history: Array<{ epoch: number, trainLoss: number, valid: BinaryMetrics }>
}

/**
 * Accuracy and F1 of predictions against labels.
 *
 * @example
 * binaryMetrics([1, 0, 1], [1, 1, 1]) // { accuracy: 0.667, f1Positive: 0.8, … }
 */
export function binaryMetrics(pred: number[], label: number[]): BinaryMetrics {
  let tp = 0
  let tn = 0
  let fp = 0
  let fn = 0
  pred.forEach((p, i) => {
    if (p === 1 && label[i] === 1)
      tp++
    else if (p === 0 && label[i] === 0)
      tn++
    else if (p === 1)
      fp++
    else fn++
  })
  const f1 = (a: number, b: number, c: number) => (2 * a + b + c === 0 ? 0 : (2 * a) / (2 * a + b + c))
  const f1Positive = f1(tp, fp, fn)
  const f1Negative = f1(tn, fn, fp)
  return { accuracy: (tp + tn) / Math.max(1, pred.length), f1Positive, f1Macro: (f1Positive + f1Negative) / 2, n: pred.length }
}

interface Params { w: tf.Variable[], b: tf.Variable[] }

/** Dense count vectors [n, V] of a batch (the notebook's BoW input). */
function denseBatch(examples: TrainExample[], vocabSize: number): tf.Tensor2D {
  const flat = new Float32Array(examples.length * vocabSize)
  examples.forEach((e, r) => {
    for (const i of e.indices) flat[r * vocabSize + i]! += 1
  })
  return tf.tensor2d(flat, [examples.length, vocabSize])
}

/** Logits [n, 2] of a batch; weights are stored [in, out]. */
function batchLogits(p: Params, x: tf.Tensor2D): tf.Tensor2D {
  let h: tf.Tensor = x
  for (let l = 0; l < p.w.length; l++) {
    const z = tf.add(tf.matMul(h, p.w[l]!), p.b[l]!)
    h = l < p.w.length - 1 ? hardsigmoid(z) : z
  }
  return h as tf.Tensor2D
}

/**
 * Predicted classes (argmax of the sigmoid outputs) for examples.
 *
 * @example
 * predictClasses(params, examples) // [1, 0, …]
 */
async function predictClasses(p: Params, examples: TrainExample[], vocabSize: number): Promise<number[]> {
  const out: number[] = []
  for (let s = 0; s < examples.length; s += 256) {
    const chunk = examples.slice(s, s + 256)
    const pred = tf.tidy(() => {
      return tf.argMax(batchLogits(p, denseBatch(chunk, vocabSize)), 1)
    })
    out.push(...await pred.data())
    pred.dispose()
  }
  return out
}

/**
 * Trains the classifier; keeps the epoch with the best validation accuracy.
 *
 * @example
 * const { layers } = await trainBow(train, valid, { vocabSize: 5001, epochs: 6, seed: 1234 })
 */
export async function trainBow(train: TrainExample[], valid: TrainExample[], options: TrainOptions): Promise<TrainedLayers> {
  const sizes = [options.vocabSize, ...(options.hidden ?? [30, 50, 100]), 2]
  const epochs = options.epochs ?? 6
  const batchSize = options.batchSize ?? 64
  const rng = new Rng(options.seed ?? 1234)
  // nn.Linear's default init: kaiming_uniform(a=√5) ⇒ U(−1/√in, 1/√in), bias the same bound.
  const params: Params = { w: [], b: [] }
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l]!
    const bound = 1 / Math.sqrt(fanIn)
    const w = Float32Array.from({ length: fanIn * sizes[l + 1]! }, () => rng.uniformRange(-bound, bound))
    const b = Float32Array.from({ length: sizes[l + 1]! }, () => rng.uniformRange(-bound, bound))
    params.w.push(tf.variable(tf.tensor2d(w, [fanIn, sizes[l + 1]!]))) // [in, out]
    params.b.push(tf.variable(tf.tensor1d(b)))
  }
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3)
  const history: TrainedLayers['history'] = []
  let best = { acc: -1, epoch: -1, snapshot: [] as Float32Array[] }
  const order = train.map((_, i) => i)
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // Seeded Fisher–Yates shuffle of the example order.
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.randint(i + 1)
      const t = order[i]!
      order[i] = order[j]!
      order[j] = t
    }
    let lossSum = 0
    let nBatches = 0
    for (let s = 0; s < order.length; s += batchSize) {
      const batch = order.slice(s, s + batchSize).map(i => train[i]!)
      const loss = tf.tidy(() => {
        const x = denseBatch(batch, options.vocabSize)
        const y = tf.oneHot(tf.tensor1d(batch.map(e => e.label), 'int32'), 2).toFloat()
        return optimizer.minimize(() => {
          const logits = batchLogits(params, x)
          if (options.loss === 'notebook-ce')
            return tf.losses.softmaxCrossEntropy(y, tf.sigmoid(logits)) as tf.Scalar
          return tf.losses.sigmoidCrossEntropy(y, logits) as tf.Scalar
        }, true) as tf.Scalar
      })
      lossSum += (await loss.data())[0]!
      loss.dispose()
      nBatches++
    }
    const valid_ = binaryMetrics(await predictClasses(params, valid, options.vocabSize), valid.map(e => e.label))
    history.push({ epoch, trainLoss: lossSum / nBatches, valid: valid_ })
    options.onEpoch?.(epoch, lossSum / nBatches, valid_)
    if (valid_.accuracy > best.acc) {
      const snapshot = await Promise.all([...params.w, ...params.b].map(async v => Float32Array.from(await v.data())))
      best = { acc: valid_.accuracy, epoch, snapshot }
    }
  }
  const n = sizes.length - 1
  const layers: TrainedLayers['layers'] = []
  for (let l = 0; l < n; l++) {
    const inSize = sizes[l]!
    const outSize = sizes[l + 1]!
    // Back to PyTorch layout [out, in].
    const wIO = best.snapshot[l]!
    const weight = new Float32Array(outSize * inSize)
    for (let i = 0; i < inSize; i++) {
      for (let o = 0; o < outSize; o++) weight[o * inSize + i] = wIO[i * outSize + o]!
    }
    layers.push({ weight, bias: best.snapshot[n + l]!, inSize, outSize, activation: l < n - 1 ? 'hardsigmoid' : 'sigmoid' })
  }
  for (const v of [...params.w, ...params.b]) v.dispose()
  optimizer.dispose()
  return { layers, bestEpoch: best.epoch, history }
}
