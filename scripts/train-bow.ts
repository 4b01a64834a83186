import type { BowPreprocessConfig } from '../engine/core/bow-format'
import type { ModelManifest } from '../engine/core/manifest'
import type { TrainExample } from '../engine/models/bow-train'
/**
 * npm run train:bow [-- --data ../shared/data/sentiment --out public/models/bow --epochs 3 --batch 64 --lr 0.001 --seed 1234 --backend wasm]
 *
 * Trains the course's BoW sentiment classifier on the Twitter entity-sentiment corpus
 * (Positive/Negative rows) and writes a BoW model folder with `training-report.json`.
 * The split is by `tweet_id` group (every group holds one tweet and its paraphrases, so a
 * row-level split leaks near-duplicates into the test set).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeBowFolder } from '../engine/core/bow-format'
import { sha256Hex } from '../engine/core/manifest'
import { Rng } from '../engine/core/rng'
import { preprocessText } from '../engine/inputs/bow-preprocess'
import { NLTK_LEMMA_OVERRIDES } from '../engine/models/bow-import'
import { binaryMetrics, trainBow } from '../engine/models/bow-train'
import { initTfBackend, tf } from '../engine/models/tf-backend'

const { values } = parseArgs({
  options: {
    'data': { type: 'string', default: '../shared/data/sentiment' },
    'out': { type: 'string', default: 'public/models/bow' },
    'epochs': { type: 'string', default: '3' },
    'seed': { type: 'string', default: '1234' },
    'lr': { type: 'string', default: '0.001' },
    'loss': { type: 'string', default: 'bce' },
    'backend': { type: 'string', default: 'wasm' },
    'batch': { type: 'string', default: '64' },
    'max-vocab': { type: 'string', default: '5000' },
  },
})

interface Row { label: 0 | 1, group: string, text: string }

function readTsv(path: string): Row[] {
  return readFileSync(path, 'utf8').split('\n').filter(l => l !== '').map((line) => {
    const [label, group, , text] = line.split('\t')
    if (label !== 'positive' && label !== 'negative')
      throw new Error(`${path}: unexpected label ${label}`)
    return { label: label === 'positive' ? 1 : 0, group: group!, text: text ?? '' }
  })
}

const started = Date.now()
const seed = Number(values.seed)
const dataDir = resolve(values.data!)
const trainFile = join(dataDir, 'twitter_training.posneg.tsv')
const validFile = join(dataDir, 'twitter_validation.posneg.tsv')
const stopwords = readFileSync(join(dataDir, 'nltk_stopwords_english.txt'), 'utf8').split(/\r?\n/).filter(w => w !== '')
const preprocess: BowPreprocessConfig = { stopwords, maxLen: 128, numToken: '<NUM>', unkToken: '<UNK>', lemmaOverrides: NLTK_LEMMA_OVERRIDES }

const backend = await initTfBackend({ prefer: [values.backend as 'cpu' | 'wasm'] })
const rows = readTsv(trainFile)
const validRows = readTsv(validFile)

// Split by tweet_id group: 80% train, 10% model selection ("valid"), 10% held-out test.
const groups = [...new Set(rows.map(r => r.group))]
const perm = new Rng(seed).permutation(groups.length)
const nTest = Math.round(groups.length * 0.1)
const nValid = Math.round(groups.length * 0.1)
const splitOf = new Map<string, 'train' | 'valid' | 'test'>()
perm.forEach((gi, k) => splitOf.set(groups[gi]!, k < nTest ? 'test' : k < nTest + nValid ? 'valid' : 'train'))

const tokenized = rows.map(r => preprocessText(r.text, preprocess))
// Vocabulary as the notebook: the max-vocab most common tokens (Counter.most_common: count
// desc, ties by first occurrence), the rest → <UNK>, then sorted(set(tokens)). Built on the
// training groups only, so the held-out score is honest.
const counts = new Map<string, number>()
rows.forEach((r, i) => {
  if (splitOf.get(r.group) === 'train') {
    for (const t of tokenized[i]!) counts.set(t, (counts.get(t) ?? 0) + 1)
  }
})
const common = new Set([...counts.entries()].map((e, i) => [e[0], e[1], i] as const).sort((a, b) => b[1] - a[1] || a[2] - b[2]).slice(0, Number(values['max-vocab'])).map(e => e[0]))
const modelTokens = (toks: string[]) => toks.map(t => (common.has(t) ? t : preprocess.unkToken)).slice(-preprocess.maxLen)
const vocabSet = new Set<string>()
rows.forEach((r, i) => {
  if (splitOf.get(r.group) === 'train')
    modelTokens(tokenized[i]!).forEach(t => vocabSet.add(t))
})
const vocab = [...vocabSet].sort()
const vocabIndex = new Map(vocab.map((t, i) => [t, i]))
function toExample(toks: string[], label: 0 | 1): TrainExample {
  return {
    indices: modelTokens(toks).map(t => vocabIndex.get(t) ?? vocabIndex.get(preprocess.unkToken)!).filter(i => i !== undefined),
    label,
  }
}
const split: Record<'train' | 'valid' | 'test', TrainExample[]> = { train: [], valid: [], test: [] }
rows.forEach((r, i) => split[splitOf.get(r.group)!].push(toExample(tokenized[i]!, r.label)))
const validationFile = validRows.map(r => toExample(preprocessText(r.text, preprocess), r.label))
console.log(`backend ${backend}; vocab ${vocab.length}; rows train ${split.train.length}, valid ${split.valid.length}, test ${split.test.length}; validation file ${validationFile.length}`)

const trained = await trainBow(split.train, split.valid, {
  vocabSize: vocab.length,
  epochs: Number(values.epochs),
  learningRate: Number(values.lr),
  batchSize: Number(values.batch),
  seed,
  loss: values.loss as 'bce' | 'notebook-ce',
  onEpoch: (e, loss, m) => console.log(`epoch ${e}: train loss ${loss.toFixed(4)}, valid acc ${m.accuracy.toFixed(4)}, F1 ${m.f1Positive.toFixed(4)}`),
})

// Evaluate the kept epoch with the exported float32 weights through the same forward as inference.
const files = encodeBowFolder({
  vocab,
  layers: trained.layers,
  labels: ['Negative', 'Positive'],
  preprocess,
  provenance: {
    source: 'trained by scripts/train-bow.ts (npm run train:bow)',
    data: 'Twitter Entity Sentiment Analysis (Kaggle jp797498e), Positive/Negative subset: twitter_training.posneg.tsv',
    dataSha256: await sha256Hex(readFileSync(trainFile)),
    seed,
    architecture: 'grad_captum.ipynb FeedforwardTextClassifier (V→30→50→100→2, F.hardsigmoid, sigmoid outputs)',
  },
})
const { BowModel } = await import('../engine/models/bow-model')
const out = resolve(values.out!)
mkdirSync(out, { recursive: true })
for (const [name, data] of Object.entries(files)) writeFileSync(join(out, name), data)
const { nodeFiles } = await import('../engine/node-files')
const model = await BowModel.load(nodeFiles(out))
async function evaluate(examples: TrainExample[]) {
  const preds: number[] = []
  for (let s = 0; s < examples.length; s += 512) {
    const xs = examples.slice(s, s + 512).map((e) => {
      const x = new Float64Array(vocab.length)
      for (const i of e.indices) x[i]! += 1
      return x
    })
    for (const p of await model.predict(xs)) preds.push(p[1]! > p[0]! ? 1 : 0)
  }
  return binaryMetrics(preds, examples.map(e => e.label))
}
const report = {
  heldOutGroups: await evaluate(split.test),
  modelSelectionGroups: await evaluate(split.valid),
  train: await evaluate(split.train),
  validationFile: { ...(await evaluate(validationFile)), caveat: 'every validation tweet_id also occurs in training (318 texts verbatim): this measures memorisation, not generalisation' },
  split: { by: 'tweet_id group', seed, groups: { total: groups.length, test: nTest, valid: nValid, train: groups.length - nTest - nValid }, rows: { train: split.train.length, valid: split.valid.length, test: split.test.length } },
  training: {
    loss: values.loss === 'notebook-ce' ? 'CrossEntropyLoss on the sigmoid outputs (as the notebook)' : 'binary cross-entropy on the two sigmoid outputs (one-hot labels)',
    optimizer: `Adam lr ${values.lr}`,
    batchSize: Number(values.batch),
    epochs: Number(values.epochs),
    bestEpoch: trained.bestEpoch,
    history: trained.history,
    backend,
    seconds: Math.round((Date.now() - started) / 1000),
    vocabSize: vocab.length,
    maxVocab: Number(values['max-vocab']),
  },
}
model.dispose()
writeFileSync(join(out, 'training-report.json'), `${JSON.stringify(report, null, 1)}\n`)
const manifest: ModelManifest = { kind: 'bow', files: {}, source: `npm run train:bow (seed ${seed})` }
for (const name of ['bow.json', 'weights.bin', 'training-report.json'])
  manifest.files[name] = await sha256Hex(readFileSync(join(out, name)))
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`held-out groups: acc ${report.heldOutGroups.accuracy.toFixed(4)}, F1 ${report.heldOutGroups.f1Positive.toFixed(4)}; validation file acc ${report.validationFile.accuracy.toFixed(4)}; ${report.training.seconds}s; tensors ${tf.memory().numTensors}`)
