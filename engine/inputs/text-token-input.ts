import type { InterpretableInput, LlmTokenizer } from './tokenizer'
import { AttributionError } from '../core/errors'

export interface TextTokenInputOptions {
  /** Replacement for an ablated token: a token id, or a token string (Captum default 0 = "!" in GPT-2). */
  baselines?: number | string
  /** Tokens (ids or BPE strings) that are not features: they stay in place, never ablated. */
  skipTokens?: Array<number | string>
}

/**
 * Captum's `TextTokenInput`: one feature per prompt token (minus `skipTokens`); an
 * ablated token is replaced by the baseline id, so the length never changes.
 *
 * @example
 * const inp = new TextTokenInput('Dave lives in Palm Coast', lm)
 * inp.toModelIds(Uint8Array.from([0, 1, 1, 1, 1])) // [0, 3160, 287, 18358, 8545]
 */
export class TextTokenInput implements InterpretableInput {
  readonly ids: number[]
  readonly nFeatures: number
  readonly values: string[]
  readonly baselineId: number
  /** Position in `ids` of feature j. */
  readonly featurePositions: number[]

  constructor(readonly text: string, tokenizer: LlmTokenizer, options: TextTokenInputOptions = {}) {
    if (text.length === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    this.ids = tokenizer.encode(text)
    const b = options.baselines ?? 0
    // A token string is a raw BPE token (Captum: convert_tokens_to_ids), e.g. "Ġthe"; an id
    // outside the vocabulary is refused here, not as a garbage embedding later.
    this.baselineId = typeof b === 'number' ? b : tokenizer.convertTokensToIds([b])[0]!
    tokenizer.convertIdsToTokens([this.baselineId])
    const skip = new Set((options.skipTokens ?? []).map(t => typeof t === 'number' ? t : tokenizer.convertTokensToIds([t])[0]))
    this.featurePositions = this.ids.flatMap((id, i) => skip.has(id) ? [] : [i])
    if (this.featurePositions.length === 0)
      throw new AttributionError('empty-input', 'The prompt has no tokens to attribute (all are skipped).')
    this.nFeatures = this.featurePositions.length
    this.values = tokenizer.convertIdsToTokens(this.featurePositions.map(p => this.ids[p]))
  }

  toModelIds(mask: Uint8Array): number[] {
    const ids = this.ids.slice()
    this.featurePositions.forEach((p, j) => {
      if (!mask[j])
        ids[p] = this.baselineId
    })
    return ids
  }

  originalIds(): number[] {
    return this.ids.slice()
  }
}
