/**
 * The course notebook's text preprocessing (grad_captum.ipynb `preprocess_text`), plus an
 * alignment from what the user typed to the model's tokens so the slide can shade the
 * sentence. Pipeline, in the notebook's order:
 *   1. `re.sub('[^0-9a-zA-Z ]+', '', text).lower()`
 *   2. NLTK `word_tokenize` — on such text it is whitespace splitting plus Treebank's
 *      contraction splits that need no apostrophe (cannot → can not, gonna → gon na, …)
 *   3. WordNet lemmatize as verb, then as noun (wink-lemmatizer's port of Morphy)
 *   4. digit runs → `<NUM>` (inside words too: "3ds" → "<NUM>ds")
 *   5. drop NLTK's 179 English stopwords (the list lives in the model folder's config)
 *   6. out-of-vocabulary → `<UNK>`, keep the last `maxLen` tokens (the Dataset class).
 */
import type { BowPreprocessConfig } from '../core/bow-format'
import lemmatizer from 'wink-lemmatizer'

export type AlignmentStatus = 'used' | 'stopword' | 'unk' | 'dropped' | 'space'

/** One piece of the typed text. Concatenating every `text` gives back the input exactly. */
export interface AlignmentEntry {
  text: string
  /** The model token this piece became (the lemma for stopwords), null for spaces/punctuation. */
  token: string | null
  status: AlignmentStatus
}

export interface BowPreprocessed {
  /** Tokens the model sees, in text order (in-vocab tokens and `<UNK>`), at most `maxLen`. */
  tokens: string[]
  /** The notebook's `preprocess_text` output (before `<UNK>` and truncation). */
  normalized: string[]
  alignment: AlignmentEntry[]
}

// Treebank CONTRACTIONS2/3 patterns that survive the removal of apostrophes. After step 1
// a token is [a-z0-9]+ and `\b` on both sides means the whole token must match.
const CONTRACTIONS: Record<string, [string, string]> = {
  cannot: ['can', 'not'],
  gimme: ['gim', 'me'],
  gonna: ['gon', 'na'],
  gotta: ['got', 'ta'],
  lemme: ['lem', 'me'],
  wanna: ['wan', 'na'], // `(?=\s)`: always true, Treebank pads the text with spaces
}

/**
 * The notebook's steps 1–4 for one already-cleaned token: lemma (verb, then noun), digits → `<NUM>`.
 *
 * @example
 * normalizeWord('games', '<NUM>') // 'game'
 * normalizeWord('3ds', '<NUM>')   // '<NUM>ds'
 */
export function normalizeWord(word: string, numToken = '<NUM>', overrides?: Record<string, string>): string {
  const lemma = (overrides && Object.hasOwn(overrides, word)) ? overrides[word]! : lemmatizer.noun(lemmatizer.verb(word))
  return lemma.replace(/\d+/g, numToken)
}

/** Steps 1–2 on one whitespace-free piece of typed text: cleaned, lower-cased word tokens. */
function wordTokens(piece: string): string[] {
  const cleaned = piece.replace(/[^0-9a-z ]+/gi, '').toLowerCase()
  if (cleaned === '')
    return []
  return CONTRACTIONS[cleaned] ?? [cleaned]
}

/**
 * The notebook's `preprocess_text`: list of tokens after stopword removal (no `<UNK>` yet).
 *
 * @example
 * preprocessText('I love this game!', config) // ['love', 'game']
 */
export function preprocessText(text: string, config: BowPreprocessConfig): string[] {
  const stop = new Set(config.stopwords)
  // Only ' ' separates words: other whitespace is a "special character" the notebook deletes.
  return text.replace(/[^0-9a-z ]+/gi, '').toLowerCase().split(' ').filter(w => w !== '').flatMap(w => CONTRACTIONS[w] ?? [w]).map(w => normalizeWord(w, config.numToken, config.lemmaOverrides)).filter(w => !stop.has(w))
}

/**
 * Full preprocessing with alignment. `vocab` decides what becomes `<UNK>`.
 *
 * @example
 * const { tokens, alignment } = preprocessBow('I love this game!', config, vocabIndex)
 * // tokens: ['love', 'game']; alignment: [{text:'I',token:'i',status:'stopword'}, {text:' ',token:null,status:'space'}, …]
 */
export function preprocessBow(text: string, config: BowPreprocessConfig, vocab: ReadonlyMap<string, number>): BowPreprocessed {
  const stop = new Set(config.stopwords)
  const alignment: AlignmentEntry[] = []
  // Index into `alignment` of every kept (non-stopword) token, in order, for truncation.
  const kept: number[] = []
  const normalized: string[] = []
  const segments = text.split(/( +)/).filter(s => s !== '')
  for (const seg of segments) {
    if (/^ +$/.test(seg)) {
      alignment.push({ text: seg, token: null, status: 'space' })
      continue
    }
    const pieces = wordTokens(seg)
    if (pieces.length === 0) {
      // Pure punctuation / emoji: the notebook deletes it; nothing reaches the model.
      alignment.push({ text: seg, token: null, status: 'space' })
      continue
    }
    pieces.forEach((p, i) => {
      const norm = normalizeWord(p, config.numToken, config.lemmaOverrides)
      // A word split by the tokenizer (cannot → can not) shows its text on the first piece.
      const pieceText = i === 0 ? seg : ''
      if (stop.has(norm)) {
        alignment.push({ text: pieceText, token: norm, status: 'stopword' })
        return
      }
      normalized.push(norm)
      const inVocab = vocab.has(norm)
      alignment.push({ text: pieceText, token: inVocab ? norm : config.unkToken, status: inVocab ? 'used' : 'unk' })
      kept.push(alignment.length - 1)
    })
  }
  // Dataset: `[...][-max_len:]` keeps the LAST maxLen tokens.
  const nDrop = Math.max(0, kept.length - config.maxLen)
  for (let i = 0; i < nDrop; i++) alignment[kept[i]!]!.status = 'dropped'
  const tokens = kept.slice(nDrop).map(i => alignment[i]!.token!)
  return { tokens, normalized, alignment }
}
