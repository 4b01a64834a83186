import type { BowPreprocessConfig } from '../core/bow-format'
import type { TorchTensor } from './torch-checkpoint'
import { encodeBowFolder } from '../core/bow-format'
/**
 * Converts the course's PyTorch checkpoint (`torch.save({model_state_dict, vocab, idx2token})`
 * from grad_captum.ipynb) into our BoW folder format, through the safe pickle reader.
 */
import { AttributionError } from '../core/errors'
import { readTorchCheckpoint } from './torch-checkpoint'

/**
 * Where wink-lemmatizer and NLTK's WordNetLemmatizer (min-length Morphy lemma) are known to
 * disagree on words that matter for the course vocabulary. Each entry is checked against
 * the checkpoint's vocabulary: NLTK's form is in it (or is a stopword), wink's is not.
 */
export const NLTK_LEMMA_OVERRIDES: Record<string, string> = {
  us: 'u', // NLTK: us → u (uranium) — `u` is in the course vocab, `us` is not
  ass: 'as', // → the stopword `as`
  hes: 'he', // → the stopword `he`
  data: 'data', // NLTK keeps the shorter of data/datum
  saw: 'saw', // NLTK verb: exceptions [saw, see] → the first of equal length
  felt: 'felt',
  fell: 'fell',
  could: 'could',
  would: 'would',
  might: 'might',
  teeth: 'teeth',
}

/**
 * Reads the checkpoint bytes and returns the folder files (name → bytes).
 *
 * @example
 * const files = importBowCheckpoint(readFileSync('bow_text_classifier.pt'), stopwords)
 * // { 'bow.json': …, 'weights.bin': … }
 */
export function importBowCheckpoint(bytes: Uint8Array, stopwords: string[], provenance: Record<string, unknown> = {}): Record<string, Uint8Array> {
  const ckpt = readTorchCheckpoint(bytes)
  if (!(ckpt instanceof Map))
    throw new AttributionError('corrupt-model', 'The checkpoint is not a dict.')
  const state = ckpt.get('model_state_dict')
  const vocabMap = ckpt.get('vocab')
  if (!(state instanceof Map) || !(vocabMap instanceof Map))
    throw new AttributionError('corrupt-model', 'The checkpoint needs "model_state_dict" and "vocab" (grad_captum.ipynb format).')
  const vocab: Array<string | undefined> = Array.from({ length: vocabMap.size })
  for (const [tok, idx] of vocabMap as Map<string, number>) {
    if (!Number.isInteger(idx) || idx < 0 || idx >= vocab.length || vocab[idx] !== undefined)
      throw new AttributionError('corrupt-model', `The checkpoint vocab index of ${JSON.stringify(tok)} is invalid.`)
    vocab[idx] = tok
  }
  const tensor = (name: string): TorchTensor => {
    const t = state.get(name) as TorchTensor | undefined
    if (!t || t.dtype !== 'float32')
      throw new AttributionError('corrupt-model', `The checkpoint has no float32 ${name}.`)
    return t
  }
  const layers = [1, 2, 3, 4].map((l) => {
    const w = tensor(`fc${l}.weight`)
    const b = tensor(`fc${l}.bias`)
    return { weight: w.data, bias: b.data, outSize: w.shape[0]!, inSize: w.shape[1]!, activation: l < 4 ? 'hardsigmoid' as const : 'sigmoid' as const }
  })
  if (layers[0]!.inSize !== vocab.length)
    throw new AttributionError('corrupt-model', `fc1 expects ${layers[0]!.inSize} inputs but the vocab has ${vocab.length} tokens.`)
  const preprocess: BowPreprocessConfig = {
    stopwords,
    maxLen: 128,
    numToken: '<NUM>',
    unkToken: '<UNK>',
    lemmaOverrides: NLTK_LEMMA_OVERRIDES,
  }
  return encodeBowFolder({
    vocab: vocab as string[], // every index 0…size−1 was filled exactly once above
    layers,
    labels: ['Negative', 'Positive'],
    preprocess,
    provenance: { source: 'course checkpoint (grad_captum.ipynb bow_text_classifier.pt)', importedBy: 'scripts/import-bow.ts', ...provenance },
  })
}
