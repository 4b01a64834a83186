/**
 * Parsing and validation for the template editor: a Captum `TextTemplateInput` template
 * (Python `str.format` syntax: `{name}` slots, `{{`/`}}` for literal braces), its slot
 * values, and `ProductBaselines` choice lists.
 */
import type { RequestInput } from '../../engine/api'
import { parseTemplate } from '../../engine/inputs/template-format'

export interface TemplateSlots {
  /** Distinct slot names in order of first appearance (a repeated slot is listed once). */
  slots: string[]
  /** Number of `{…}` fields, counting repeats. */
  fields: number
  /** True for `{}` / `{0}` positional fields (values would be a list, not a dict). */
  positional: boolean
  /** Syntax problems, one sentence each; empty when the template parses. */
  errors: string[]
}

/**
 * The slots of a `str.format` template, from the engine's parser (`engine/inputs/template-format.ts`,
 * the one `TextTemplateInput` uses): the key is the field name before any `.attr` or
 * `[index]` (after `!conversion` / `:format_spec` are split off), verbatim as Python looks
 * it up; `{}` fields are numbered 0, 1, … like Python's automatic numbering. `errors` lists
 * what Python rejects and what the engine does not support, so the editor can say it before Run.
 *
 * @example
 * parseTemplateSlots('{name} from {country}, {name}!').slots // ['name', 'country']
 * parseTemplateSlots('{{literal}} {x}').slots                 // ['x']
 */
export function parseTemplateSlots(template: string): TemplateSlots {
  const { keys, fields, positional, errors } = parseTemplate(template)
  return { slots: keys, fields, positional, errors }
}

export interface ParsedLines<T> {
  entries: Record<string, T>
  /** Keys in the order written. */
  keys: string[]
  errors: string[]
}

function splitKeyLine(line: string): [string, string] | null {
  // The key runs up to the first ':' or '=' (trimmed): no backtracking-prone regex.
  const cut = line.search(/[:=]/)
  if (cut <= 0 || !line.slice(0, cut).trim())
    return null
  const rest = line.slice(cut + 1)
  return [line.slice(0, cut).trim(), rest.startsWith(' ') ? rest.slice(1) : rest]
}

/**
 * Reads slot values written one per line as `slot: value` (or `slot = value`).
 * Blank lines are skipped; values are trimmed; a repeated key is an error.
 *
 * @example
 * parseValueLines('name: Georg\ncountry = Germany').entries // { name: 'Georg', country: 'Germany' }
 */
export function parseValueLines(text: string): ParsedLines<string> {
  const entries: Record<string, string> = {}
  const keys: string[] = []
  const errors: string[] = []
  text.split(/\r?\n/).forEach((raw, n) => {
    if (raw.trim() === '')
      return
    const kv = splitKeyLine(raw.trim())
    if (!kv || kv[0] === '') {
      errors.push(`Line ${n + 1}: expected "slot: value", got "${raw.trim()}".`)
      return
    }
    const [key, value] = kv
    if (Object.hasOwn(entries, key)) {
      errors.push(`Line ${n + 1}: "${key}" is given twice.`)
      return
    }
    entries[key] = value.trim()
    keys.push(key)
  })
  return { entries, keys, errors }
}

/**
 * Reads `ProductBaselines` choices, one slot per line: `slot: choice, choice, …`.
 * Choices are trimmed; `""` stands for the empty string (Captum's default baseline).
 *
 * @example
 * parseBaselineLines('name: John, Maria\njob: nurse, ""').entries
 * // { name: ['John', 'Maria'], job: ['nurse', ''] }
 */
export function parseBaselineLines(text: string): ParsedLines<string[]> {
  const entries: Record<string, string[]> = {}
  const keys: string[] = []
  const errors: string[] = []
  text.split(/\r?\n/).forEach((raw, n) => {
    if (raw.trim() === '')
      return
    const kv = splitKeyLine(raw.trim())
    if (!kv || kv[0] === '') {
      errors.push(`Line ${n + 1}: expected "slot: choice, choice, …", got "${raw.trim()}".`)
      return
    }
    const [key, rest] = kv
    if (Object.hasOwn(entries, key)) {
      errors.push(`Line ${n + 1}: "${key}" is given twice.`)
      return
    }
    const choices = rest.split(',').map(c => c.trim()).filter(c => c !== '').map(c => (c === '""' ? '' : c))
    if (choices.length === 0) {
      errors.push(`Line ${n + 1}: "${key}" has no baseline choices.`)
      return
    }
    entries[key] = choices
    keys.push(key)
  })
  return { entries, keys, errors }
}

export interface TemplateCheck {
  ok: boolean
  slots: string[]
  /** Slots of the template with no value. */
  missing: string[]
  /** Values for names that are not slots of the template. */
  extra: string[]
  /** Slots with no baseline choices (only when any baseline is given: Captum needs all). */
  missingBaselines: string[]
  /** Baselines for names that are not slots. */
  extraBaselines: string[]
  /** Every problem, one sentence each, ready to show. */
  errors: string[]
}

/**
 * Checks that the template's slots, the values and the baseline choices match.
 * `ProductBaselines` draws one choice per key for every forward and fills every absent
 * slot from that draw, so when baselines are given they must cover every slot.
 *
 * @example
 * checkTemplate('{name} is a {job}', { name: 'Ann', age: '3' }).errors
 * // ['Missing value for slot: job.', 'Value given for a name that is not a slot: age.']
 */
export function checkTemplate(
  template: string,
  values: Record<string, string>,
  baselines: Record<string, string[]> | null = null,
): TemplateCheck {
  const parsed = parseTemplateSlots(template)
  const errors = [...parsed.errors]
  const { slots } = parsed
  if (slots.length === 0 && parsed.errors.length === 0)
    errors.push('The template has no {slot}: add at least one, e.g. "{name}".')
  if (parsed.positional)
    errors.push('Use named slots such as {name}: positional "{}" slots cannot carry named values and baselines.')
  const spaced = slots.filter(s => s !== s.trim())
  if (spaced.length)
    errors.push(`Remove the spaces in ${spaced.map(s => `{${s}}`).join(', ')}: Python's str.format looks up the name with its spaces.`)
  const missing = slots.filter(s => !Object.hasOwn(values, s))
  const extra = Object.keys(values).filter(k => !slots.includes(k))
  if (missing.length)
    errors.push(`Missing value${missing.length > 1 ? 's' : ''} for slot${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`)
  if (extra.length)
    errors.push(`Value${extra.length > 1 ? 's' : ''} given for ${extra.length > 1 ? 'names that are not slots' : 'a name that is not a slot'}: ${extra.join(', ')}.`)
  let missingBaselines: string[] = []
  let extraBaselines: string[] = []
  if (baselines && Object.keys(baselines).length > 0) {
    missingBaselines = slots.filter(s => !Object.hasOwn(baselines, s))
    extraBaselines = Object.keys(baselines).filter(k => !slots.includes(k))
    if (missingBaselines.length)
      errors.push(`Missing baseline choices for slot${missingBaselines.length > 1 ? 's' : ''}: ${missingBaselines.join(', ')}.`)
    if (extraBaselines.length)
      errors.push(`Baselines given for ${extraBaselines.length > 1 ? 'names that are not slots' : 'a name that is not a slot'}: ${extraBaselines.join(', ')}.`)
  }
  return { ok: errors.length === 0, slots, missing, extra, missingBaselines, extraBaselines, errors }
}

export type TemplateRequestInput = Extract<RequestInput, { type: 'template' }>

/**
 * Builds the request input of a template attribution from the editor's three texts, or
 * the list of problems. Empty baseline text → `productBaselines: null` (Captum's default
 * baseline, the empty string, for every absent slot).
 *
 * @example
 * buildTemplateInput('{name} works as a {job}.', 'name: Georg\njob: janitor', 'name: John, Maria\njob: nurse')
 * // { ok: true, input: { type: 'template', template: '{name} works as a {job}.',
 * //   values: { name: 'Georg', job: 'janitor' }, productBaselines: { name: ['John', 'Maria'], job: ['nurse'] } } }
 */
export function buildTemplateInput(
  template: string,
  valuesText: string,
  baselinesText: string,
): { ok: true, input: TemplateRequestInput, check: TemplateCheck } | { ok: false, errors: string[], check: TemplateCheck } {
  const values = parseValueLines(valuesText)
  const baselines = parseBaselineLines(baselinesText)
  const productBaselines = baselines.keys.length > 0 ? baselines.entries : null
  const check = checkTemplate(template, values.entries, productBaselines)
  const errors = [...values.errors, ...baselines.errors, ...check.errors]
  if (errors.length > 0)
    return { ok: false, errors, check }
  // Values in the template's slot order, so the features line up with the slide.
  const orderedValues: Record<string, string> = {}
  for (const s of check.slots)
    orderedValues[s] = values.entries[s]!
  let orderedBaselines: Record<string, string[]> | null = null
  if (productBaselines) {
    orderedBaselines = {}
    for (const s of check.slots)
      orderedBaselines[s] = productBaselines[s]!
  }
  return { ok: true, input: { type: 'template', template, values: orderedValues, productBaselines: orderedBaselines }, check }
}

/**
 * The editor's text form of a values record (inverse of `parseValueLines`).
 *
 * @example
 * valuesToText({ name: 'Georg', job: 'janitor' }) // 'name: Georg\njob: janitor'
 */
export function valuesToText(values: Record<string, string>): string {
  return Object.entries(values).map(([k, v]) => `${k}: ${v}`).join('\n')
}

/**
 * The editor's text form of baseline choices (inverse of `parseBaselineLines`).
 *
 * @example
 * baselinesToText({ name: ['John', ''] }) // 'name: John, ""'
 */
export function baselinesToText(baselines: Record<string, string[]> | null | undefined): string {
  if (!baselines)
    return ''
  return Object.entries(baselines).map(([k, vs]) => `${k}: ${vs.map(v => (v === '' ? '""' : v)).join(', ')}`).join('\n')
}
