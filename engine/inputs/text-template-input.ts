import type { ParsedTemplate } from './template-format'
import type { InterpretableInput, LlmTokenizer } from './tokenizer'
import { AttributionError } from '../core/errors'
import { ProductBaselines } from './product-baselines'
import { formatTemplate, parseTemplate } from './template-format'

export interface TextTemplateInputOptions {
  /** Strings for absent slots (default ""), or a ProductBaselines drawn on every forward row. */
  baselines?: Record<string, string> | string[] | ProductBaselines | null
  /** Feature groups: slots with the same id are one feature (Captum's `mask`). */
  mask?: Record<string, number> | number[] | null
}

/**
 * Captum's `TextTemplateInput`: one feature per template value (or per `mask` group); an
 * absent value is replaced by its baseline string and the whole text is re-tokenized,
 * so the token count may change.
 *
 * @example
 * const inp = new TextTemplateInput('{} lives in {}.', ['Dave', 'Palm Coast'], lm)
 * lm.decode(inp.toModelIds(Uint8Array.from([1, 0]))) // 'Dave lives in .'
 */
export class TextTemplateInput implements InterpretableInput {
  /** Slot keys in value order ("0", "1", … for a list). */
  readonly keys: string[]
  readonly values: string[]
  readonly nFeatures: number
  /** Group id of every value, [nValues]. */
  readonly groupOf: number[]
  private readonly parsed: ParsedTemplate
  private readonly baselines: string[] | ProductBaselines
  /** False with ProductBaselines: the same mask renders differently on every call. */
  readonly deterministic: boolean

  constructor(readonly template: string, values: Record<string, string> | string[], private readonly tokenizer: LlmTokenizer, options: TextTemplateInputOptions = {}) {
    const isList = Array.isArray(values)
    this.keys = isList ? values.map((_, i) => String(i)) : Object.keys(values)
    this.values = isList ? values.slice() : this.keys.map(k => values[k])
    if (this.values.length === 0)
      throw new AttributionError('empty-input', 'The template has no values to attribute.')
    this.parsed = parseTemplate(template)
    if (this.parsed.errors.length)
      throw new AttributionError('template', `The template does not parse: ${this.parsed.errors.join(' ')}`)
    // Captum calls template.format(**values) for a dict, template.format(*values) for a list.
    if (!isList && this.parsed.positional)
      throw new AttributionError('template', 'The template has positional "{}" / "{0}" fields, which take a list of values, not named ones.')
    const used = new Set(this.parsed.keys)
    const missing = [...used].filter(k => !this.keys.includes(k))
    const extra = this.keys.filter(k => !used.has(k))
    if (missing.length || extra.length) {
      const parts = [
        missing.length ? `no value for ${missing.map(k => `{${isList ? '' : k}}`).join(', ')}` : '',
        extra.length ? `${extra.length} value(s) not used by the template (${extra.map(k => isList ? this.values[Number(k)] : k).join(', ')})` : '',
      ].filter(Boolean)
      throw new AttributionError('template', `The template does not match its values: ${parts.join('; ')}.`)
    }

    const b = options.baselines
    if (b instanceof ProductBaselines) {
      const unknown = b.keys.filter(k => !this.keys.includes(k))
      if (unknown.length)
        throw new AttributionError('template', `ProductBaselines keys ${unknown.join(', ')} are not template slots.`)
      this.baselines = b
    }
    else if (b == null) {
      this.baselines = this.values.map(() => '')
    }
    else {
      const list = Array.isArray(b) ? b : this.keys.map(k => b[k] ?? '')
      if (Array.isArray(b) && b.length !== this.values.length)
        throw new AttributionError('template', `There are ${b.length} baselines for ${this.values.length} values.`)
      this.baselines = list
    }

    this.deterministic = !(this.baselines instanceof ProductBaselines)
    const m = options.mask
    if (m == null) {
      this.groupOf = this.values.map((_, i) => i)
    }
    else {
      const raw = Array.isArray(m) ? m : this.keys.map(k => m[k])
      if (raw.length !== this.values.length || raw.some(g => !Number.isInteger(g)))
        throw new AttributionError('template', `The mask must give an integer group to each of the ${this.values.length} values.`)
      // Group ids are ranked so features are numbered 0…G−1 in id order, like Captum's.
      const ids = [...new Set(raw)].sort((x, y) => x - y)
      this.groupOf = raw.map(g => ids.indexOf(g))
    }
    this.nFeatures = Math.max(...this.groupOf) + 1
  }

  /** The text with value i replaced by `slot[i]`. */
  render(slot: string[]): string {
    return formatTemplate(this.parsed, key => slot[this.keys.indexOf(key)]!)
  }

  toModelIds(mask: Uint8Array): number[] {
    // Captum calls the baseline callable on every forward, even the unperturbed one.
    const base = this.baselines instanceof ProductBaselines
      ? (() => {
          const d = this.baselines.sample()
          return this.keys.map(k => d[k] ?? '')
        })()
      : this.baselines
    const slot = this.values.map((v, i) => mask[this.groupOf[i]] ? v : base[i])
    return this.tokenizer.encode(this.render(slot))
  }

  originalIds(): number[] {
    return this.tokenizer.encode(this.render(this.values))
  }

  /** Group attributions [rows][nFeatures] → per value [rows][nValues] (Captum's `format_attr`). */
  formatAttr(attr: number[][]): number[][] {
    return attr.map(row => this.groupOf.map(g => row[g]))
  }
}
