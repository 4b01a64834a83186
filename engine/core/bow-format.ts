import type { ModelFiles } from './files'
/**
 * The BoW model folder format. `bow.json` marks a folder as a BoW model (the CLI detects
 * the kind by that file) and holds everything but the weights:
 *
 *   bow.json              config: vocab (index order), layers, preprocessing (incl. the
 *                         stopword list), labels, provenance, the weight table
 *   weights.bin           float32 little-endian, tensors back to back (PyTorch layout:
 *                         `fcN.weight` is [out, in], `fcN.bias` is [out])
 *   training-report.json  (trained models) accuracy/F1 on held-out groups and validation
 *   manifest.json         sha256 of every file (engine/core/manifest.ts)
 *
 * Reading goes through `ModelFiles`, so the same code loads a Node folder or a URL.
 */
import { AttributionError } from './errors'
import { readJson } from './files'

export const BOW_FORMAT = 'explain-llm-live/bow@1'
export const BOW_CONFIG_FILE = 'bow.json'

/** The nonlinearities the BoW model runs, each with PyTorch's forward and backward. */
export const BOW_ACTIVATIONS = ['hardsigmoid', 'sigmoid'] as const
export type BowActivation = typeof BOW_ACTIVATIONS[number]

/** Preprocessing settings stored in the model folder's `bow.json`. */
export interface BowPreprocessConfig {
  /** NLTK stopwords (english, 179 words in NLTK's order), compared after lemmatization. */
  stopwords: string[]
  /** Keep the last `maxLen` tokens (the notebook's `max_len=128`). */
  maxLen: number
  numToken: string
  unkToken: string
  /**
   * Cleaned word → lemma, applied instead of wink-lemmatizer where it is known to differ
   * from NLTK's WordNetLemmatizer (e.g. NLTK's `us` → `u`). Data, not code: it travels
   * in the model folder with the vocabulary it was checked against.
   */
  lemmaOverrides?: Record<string, string>
}

export interface BowTensorEntry {
  name: string
  shape: number[]
  /** Offset in float32 elements from the start of the weights file. */
  offset: number
}

export interface BowConfig {
  format: typeof BOW_FORMAT
  /** Vocabulary in index order: `vocab[i]` is the token of input dimension i. */
  vocab: string[]
  /** Layer widths, input first: [vocabSize, 30, 50, 100, 2] for the course model. */
  layerSizes: number[]
  /** One per linear layer: PyTorch `F.hardsigmoid` for hidden layers, `torch.sigmoid` last. */
  activations: BowActivation[]
  labels: string[]
  preprocess: BowPreprocessConfig
  weights: { file: string, dtype: 'float32', tensors: BowTensorEntry[] }
  provenance: Record<string, unknown>
}

/** Dense layer weights in PyTorch layout. */
export interface BowLayer {
  /** [out][in] row-major */
  weight: Float32Array
  bias: Float32Array
  inSize: number
  outSize: number
  activation: BowActivation
}

export interface BowWeights {
  config: BowConfig
  layers: BowLayer[]
}

/**
 * Loads and validates a BoW folder's config and weights.
 *
 * @example
 * const { config, layers } = await readBowFolder(nodeFiles('public/models/bow'))
 * layers[0].weight.length // 30 * vocab size
 */
export async function readBowFolder(files: ModelFiles): Promise<BowWeights> {
  if (!(await files.exists(BOW_CONFIG_FILE)))
    throw new AttributionError('missing-model', `${files.location} is not a BoW model folder (no ${BOW_CONFIG_FILE}).`)
  const config = await readJson<BowConfig>(files, BOW_CONFIG_FILE)
  const bad = (why: string): never => {
    throw new AttributionError('corrupt-model', `${files.location}${BOW_CONFIG_FILE}: ${why}`)
  }
  if (config.format !== BOW_FORMAT)
    bad(`unknown format ${JSON.stringify(config.format)} (expected ${BOW_FORMAT}).`)
  if (!Array.isArray(config.vocab) || config.vocab.length !== config.layerSizes[0])
    bad(`vocab has ${config.vocab?.length} entries but the first layer expects ${config.layerSizes?.[0]}.`)
  if (!Array.isArray(config.activations) || config.activations.length !== config.layerSizes.length - 1)
    bad('one activation per linear layer is required.')
  const unknown = config.activations.find(a => !BOW_ACTIVATIONS.includes(a))
  if (unknown !== undefined)
    bad(`unknown activation ${JSON.stringify(unknown)} (this engine runs ${BOW_ACTIVATIONS.join(', ')}).`)
  const bytes = await files.readBytes(config.weights.file)
  const floats = new Float32Array(bytes.slice().buffer)
  const byName = new Map(config.weights.tensors.map(t => [t.name, t]))
  const layers: BowLayer[] = []
  for (let l = 0; l < config.activations.length; l++) {
    const inSize = config.layerSizes[l]!
    const outSize = config.layerSizes[l + 1]!
    const get = (name: string, numel: number): Float32Array => {
      const t = byName.get(name) ?? bad(`tensor ${name} is missing.`)
      const n = t.shape.reduce((a, b) => a * b, 1)
      if (n !== numel)
        bad(`tensor ${name} has shape [${t.shape}] but the layer needs ${numel} values.`)
      if (t.offset + n > floats.length)
        throw new AttributionError('corrupt-model', `${files.location}${config.weights.file} is truncated (tensor ${name}).`)
      return floats.subarray(t.offset, t.offset + n)
    }
    layers.push({
      weight: get(`fc${l + 1}.weight`, outSize * inSize),
      bias: get(`fc${l + 1}.bias`, outSize),
      inSize,
      outSize,
      activation: config.activations[l]!,
    })
  }
  for (const l of layers) {
    for (const v of l.weight) {
      if (!Number.isFinite(v))
        bad('weights contain NaN or Inf.')
    }
  }
  return { config, layers }
}

/**
 * Serialises a BoW model into its folder files (name → bytes). Writing them is up to the
 * caller (Node scripts), so this stays usable anywhere.
 *
 * @example
 * const out = encodeBowFolder({ vocab, layers, labels, preprocess, provenance })
 * for (const [name, bytes] of Object.entries(out)) writeFileSync(join(dir, name), bytes)
 */
export function encodeBowFolder(model: {
  vocab: string[]
  layers: Array<{ weight: ArrayLike<number>, bias: ArrayLike<number>, inSize: number, outSize: number, activation: BowActivation }>
  labels: string[]
  preprocess: BowPreprocessConfig
  provenance: Record<string, unknown>
}): Record<string, Uint8Array> {
  const tensors: BowTensorEntry[] = []
  let offset = 0
  model.layers.forEach((l, i) => {
    tensors.push({ name: `fc${i + 1}.weight`, shape: [l.outSize, l.inSize], offset })
    offset += l.outSize * l.inSize
    tensors.push({ name: `fc${i + 1}.bias`, shape: [l.outSize], offset })
    offset += l.outSize
  })
  const weights = new Float32Array(offset)
  model.layers.forEach((l, i) => {
    weights.set(Array.from(l.weight), tensors[2 * i]!.offset)
    weights.set(Array.from(l.bias), tensors[2 * i + 1]!.offset)
  })
  const config: BowConfig = {
    format: BOW_FORMAT,
    vocab: model.vocab,
    layerSizes: [model.layers[0]!.inSize, ...model.layers.map(l => l.outSize)],
    activations: model.layers.map(l => l.activation),
    labels: model.labels,
    preprocess: model.preprocess,
    weights: { file: 'weights.bin', dtype: 'float32', tensors },
    provenance: model.provenance,
  }
  return {
    [BOW_CONFIG_FILE]: new TextEncoder().encode(`${JSON.stringify(config, null, 1)}\n`),
    'weights.bin': new Uint8Array(weights.buffer),
  }
}
