/**
 * The GPT-2 tokenizer for the tfjs gradient path, read from the model's own files
 * (`tokenizer.json`, `tokenizer_config.json`) through `ModelFiles`. It never touches the
 * hub or transformers.js's global `env`: the tokenizer class that `AutoTokenizer` would
 * pick for GPT-2 (`GPT2Tokenizer`) is a plain `PreTrainedTokenizer`, so we construct that
 * from the two JSON files directly, which works unchanged in Node and in the browser.
 */
import type { ModelFiles } from '../core/files'
import type { LlmTokenizer } from '../inputs/tokenizer'
import { PreTrainedTokenizer } from '@huggingface/transformers'
import { AttributionError } from '../core/errors'
import { readJson } from '../core/files'

/** An `LlmTokenizer` plus the ids the gradient path needs. */
export interface Gpt2Tokenizer extends LlmTokenizer {
  readonly eosTokenId: number
  readonly vocabSize: number
}

/**
 * Loads the tokenizer of a GPT-2 folder / URL prefix (local files only).
 *
 * @example
 * const tok = await loadGpt2Tokenizer(nodeFiles('/work/shared/captum-reference/gpt2-tiny'))
 * tok.encode('Dave lives') // [27984, 3160]
 * tok.convertIdsToTokens([3160]) // ['Ġlives']
 */
export async function loadGpt2Tokenizer(files: ModelFiles): Promise<Gpt2Tokenizer> {
  const json = await readJson<Record<string, unknown>>(files, 'tokenizer.json')
  const config = (await files.exists('tokenizer_config.json'))
    ? await readJson<Record<string, unknown>>(files, 'tokenizer_config.json')
    : {}
  let tokenizer: PreTrainedTokenizer
  try {
    tokenizer = new PreTrainedTokenizer(json, config)
  }
  catch (e) {
    throw new AttributionError('corrupt-model', `${files.location}tokenizer.json could not be loaded: ${(e as Error).message}`)
  }
  return { eosTokenId: tokenizer.eos_token_id ?? 50256, ...llmTokenizerOf(tokenizer) }
}

/**
 * The `LlmTokenizer` view of a transformers.js tokenizer: no special tokens added, raw
 * decoding, and BPE-string ↔ id maps that fail with a clear message on unknown entries.
 * Shared by the ORT runtime (causal-lm.ts) and the tfjs gradient path.
 *
 * @example
 * const tok = llmTokenizerOf(tokenizer)
 * tok.convertIdsToTokens(tok.encode(' lives')) // ['Ġlives']
 */
export function llmTokenizerOf(tokenizer: Pick<PreTrainedTokenizer, 'get_vocab' | 'encode' | 'decode'>): LlmTokenizer & { readonly vocabSize: number } {
  const vocab = tokenizer.get_vocab() as Map<string, number>
  const idToToken: string[] = []
  for (const [tok, id] of vocab) idToToken[id] = tok
  return {
    vocabSize: idToToken.length,
    encode: text => tokenizer.encode(text, { add_special_tokens: false }),
    decode: ids => tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false }),
    convertIdsToTokens: ids => ids.map((id) => {
      const t = idToToken[id]
      if (t === undefined)
        throw new AttributionError('bad-request', `Token id ${id} is outside the vocabulary (0…${idToToken.length - 1}).`)
      return t
    }),
    convertTokensToIds: tokens => tokens.map((t) => {
      const id = vocab.get(t)
      if (id === undefined)
        throw new AttributionError('bad-request', `"${t}" is not a token of this vocabulary${t.startsWith(' ') ? ` (a leading space is written Ġ: "Ġ${t.slice(1)}")` : ''}.`)
      return id
    }),
  }
}
