/**
 * The one parser of Captum `TextTemplateInput` templates, shared by the engine and the
 * deck's template editor. Captum renders a template with Python's `str.format`
 * (`template.format(**values)` for a dict, `template.format(*values)` for a list), so this
 * follows CPython's parser (`Objects/stringlib/unicode_format.h`) field by field:
 *
 * - `{{` and `}}` are literal braces; any other lone `{` or `}` is an error.
 * - A field is `{field_name!conversion:format_spec}`. Its key is the part of the field
 *   name before the first `.` or `[`, taken verbatim (no trimming: `{ a}` looks up `" a"`).
 *   An empty key is numbered 0, 1, … (`{}`); a key of decimal digits is a position
 *   (`{0}`, `{01}` is `{1}`); mixing the two is an error, as in Python.
 * - Conversions `!s`, `!r`, `!a` and the string format spec
 *   (`[[fill]align][0][width][.precision][s]`) render like Python's (`repr`, `ascii`,
 *   padding, truncation); a spec Python rejects for a `str` is an error with its message.
 *
 * Not supported, with a message (the values are plain strings, for which these are
 * either errors in Python or produce nonsense such as a bound method's repr):
 * attribute and index access (`{user.name}`, `{d[0]}`) and nested fields in a format
 * spec (`{a:{width}}`).
 */

export interface TemplateField {
  /** Python's `field_name`, e.g. `"c.attr"`; `""` for `{}`. */
  fieldName: string
  /** The value looked up: the field name up to `.`/`[`, or its position ("0", "1", …). */
  key: string
  /** `{}` (auto-numbered), `{0}` (a position) or `{name}`. */
  kind: 'auto' | 'index' | 'name'
  /** `!s` / `!r` / `!a`, or null. */
  conversion: 's' | 'r' | 'a' | null
  /** The text after `:`, e.g. `">10"`; `""` when none. */
  formatSpec: string
  /** 0-based offset of the field's `{` in the template. */
  at: number
}

export type TemplatePiece = string | TemplateField

export interface ParsedTemplate {
  /** Literal text and fields, in order (literal braces already unescaped). */
  pieces: TemplatePiece[]
  /** Distinct keys in order of first appearance (a repeated field is listed once). */
  keys: string[]
  /** Number of fields, counting repeats. */
  fields: number
  /** True when any field is positional (`{}` / `{0}`): the values are a list, not a dict. */
  positional: boolean
  /** Problems, one sentence each (Python's, plus what we do not support); empty when the template renders. */
  errors: string[]
}

interface StringSpec {
  fill: string
  align: '<' | '>' | '^'
  width: number
  precision: number | null
}

const openHint = (at: number) => `Unmatched "{" at position ${at + 1}: write "{{" for a literal brace.`

type FieldScan
  = | { ok: true, end: number, fieldName: string, conversion: string | null, formatSpec: string, nested: boolean }
    | { ok: false, error: string, resume: number }

/** CPython's `parse_field`: reads one field whose `{` is at `at`; `end` is the index after its `}`. */
function scanField(t: string, at: number): FieldScan {
  const n = t.length
  let k = at + 1
  let c = ''
  let closed = false
  while (k < n) {
    c = t[k++]!
    if (c === '{')
      return { ok: false, error: openHint(at), resume: k - 1 }
    if (c === '[') {
      while (k < n && t[k] !== ']')
        k++
      continue
    }
    if (c === '}' || c === ':' || c === '!') {
      closed = true
      break
    }
  }
  if (!closed)
    return { ok: false, error: openHint(at), resume: n }
  const fieldName = t.slice(at + 1, k - 1)
  if (c === '}')
    return { ok: true, end: k, fieldName, conversion: null, formatSpec: '', nested: false }
  let conversion: string | null = null
  if (c === '!') {
    if (k >= n)
      return { ok: false, error: openHint(at), resume: n }
    conversion = t[k++]!
    if (k < n) {
      const after = t[k++]!
      if (after === '}')
        return { ok: true, end: k, fieldName, conversion, formatSpec: '', nested: false }
      if (after !== ':')
        return { ok: false, error: `The field at position ${at + 1} needs ":" or "}" after its conversion "!${conversion}" (one letter: r, s or a).`, resume: t.includes('}', k - 1) ? t.indexOf('}', k - 1) + 1 : n }
    }
  }
  const specStart = k
  let depth = 1
  let nested = false
  while (k < n) {
    const s = t[k++]!
    if (s === '{') {
      nested = true
      depth++
    }
    else if (s === '}' && --depth === 0) {
      return { ok: true, end: k, fieldName, conversion, formatSpec: t.slice(specStart, k - 1), nested }
    }
  }
  return { ok: false, error: openHint(at), resume: n }
}

/**
 * Python's format-spec mini-language for a `str` (`format(value, spec)`), or the error
 * message Python raises for it.
 */
function parseStringSpec(spec: string): StringSpec | string {
  const out: StringSpec = { fill: ' ', align: '<', width: 0, precision: null }
  const cs = Array.from(spec)
  let p = 0
  let fillGiven = false
  let align = ''
  if (cs.length >= 2 && '<>=^'.includes(cs[1]!)) {
    out.fill = cs[0]!
    fillGiven = true
    align = cs[1]!
    p = 2
  }
  else if (cs.length >= 1 && '<>=^'.includes(cs[0]!)) {
    align = cs[0]!
    p = 1
  }
  const sign = cs[p] === '+' || cs[p] === '-' || cs[p] === ' ' ? cs[p++] : ''
  const z = cs[p] === 'z' ? cs[p++] : ''
  const alt = cs[p] === '#' ? cs[p++] : ''
  if (cs[p] === '0' && !fillGiven) {
    out.fill = '0'
    p++
  }
  let digits = ''
  while (p < cs.length && /\d/.test(cs[p]!))
    digits += cs[p++]
  out.width = digits ? Number(digits) : 0
  const grouping = cs[p] === ',' || cs[p] === '_' ? cs[p++] : ''
  if (cs[p] === '.') {
    p++
    let prec = ''
    while (p < cs.length && /\d/.test(cs[p]!))
      prec += cs[p++]
    if (!prec)
      return 'Format specifier missing precision'
    out.precision = Number(prec)
  }
  const rest = cs.slice(p).join('')
  if (rest.length > 1)
    return `Invalid format specifier '${spec}' for object of type 'str'`
  if (rest && rest !== 's')
    return `Unknown format code '${rest}' for object of type 'str'`
  if (grouping)
    return `Cannot specify '${grouping}' with 's'.`
  if (sign)
    return 'Sign not allowed in string format specifier'
  if (z)
    return 'Negative zero coercion (z) not allowed in string format specifier'
  if (alt)
    return 'Alternate form (#) not allowed in string format specifier'
  if (align === '=')
    return '\'=\' alignment not allowed in string format specifier'
  if (align)
    out.align = align as StringSpec['align']
  return out
}

/**
 * Splits a `str.format` template into literal text and fields, collecting every problem
 * (Python stops at the first; the editor shows them all, so the scan goes on after a
 * broken field, or at a `{` inside its name).
 *
 * @example
 * parseTemplate('{name} from {country}, {name}!').keys // ['name', 'country']
 * parseTemplate('{{literal}} {x!r:>8}').pieces
 * // ['{literal} ', { fieldName: 'x', key: 'x', kind: 'name', conversion: 'r', formatSpec: '>8', at: 12 }]
 * parseTemplate('{} and {0}').errors // ['Cannot mix "{}" and numbered "{0}" fields (…).']
 */
export function parseTemplate(template: string): ParsedTemplate {
  const pieces: TemplatePiece[] = []
  const keys: string[] = []
  const errors: string[] = []
  let text = ''
  let fields = 0
  let auto = 0
  let sawAuto = false
  let sawIndex = false
  let i = 0
  const t = template
  while (i < t.length) {
    const c = t[i]!
    if (c !== '{' && c !== '}') {
      text += c
      i++
      continue
    }
    if (t[i + 1] === c) {
      text += c
      i += 2
      continue
    }
    if (c === '}') {
      errors.push(`Unmatched "}" at position ${i + 1}: write "}}" for a literal brace.`)
      i++
      continue
    }
    const f = scanField(t, i)
    if (!f.ok) {
      errors.push(f.error)
      // Python stops here; we go on after the field's text (or at a '{' inside its name).
      text += t.slice(i, f.resume)
      i = f.resume
      continue
    }
    const cut = f.fieldName.search(/[.[]/)
    const first = cut < 0 ? f.fieldName : f.fieldName.slice(0, cut)
    const accessors = cut < 0 ? '' : f.fieldName.slice(cut)
    let kind: TemplateField['kind']
    let key: string
    if (first === '') {
      kind = 'auto'
      key = String(auto++)
      sawAuto = true
    }
    else if (/^\d+$/.test(first)) {
      kind = 'index'
      key = String(Number(first))
      sawIndex = true
    }
    else {
      kind = 'name'
      key = first
    }
    const shown = t.slice(i, f.end)
    if (accessors)
      errors.push(`"${shown}" at position ${i + 1}: attribute and index access ("${accessors}") is not supported; a slot's value is a plain string.`)
    if (f.conversion !== null && !'rsa'.includes(f.conversion))
      errors.push(`"${shown}" at position ${i + 1}: unknown conversion "!${f.conversion}"; use !r, !s or !a.`)
    if (f.nested) {
      errors.push(`"${shown}" at position ${i + 1}: nested fields in a format spec are not supported.`)
    }
    else if (f.formatSpec) {
      const spec = parseStringSpec(f.formatSpec)
      if (typeof spec === 'string')
        errors.push(`"${shown}" at position ${i + 1}: ${spec}.`.replace(/\.\.$/, '.'))
    }
    if (text)
      pieces.push(text)
    text = ''
    pieces.push({ fieldName: f.fieldName, key, kind, conversion: f.conversion as TemplateField['conversion'], formatSpec: f.formatSpec, at: i })
    fields++
    if (!keys.includes(key))
      keys.push(key)
    i = f.end
  }
  if (text)
    pieces.push(text)
  if (sawAuto && sawIndex)
    errors.push('Cannot mix "{}" and numbered "{0}" fields (Python\'s str.format refuses it).')
  return { pieces, keys, fields, positional: sawAuto || sawIndex, errors }
}

/**
 * Python's `repr(s)` (or `ascii(s)` with `asciiOnly`) of a string: single quotes unless the
 * text holds a `'` and no `"`, backslash escapes for the quote, `\\`, `\t`, `\n`, `\r`
 * and every non-printable character.
 *
 * @example
 * pyRepr("it's") // "\"it's\""
 * pyRepr('é', true) // "'\\xe9'"
 */
export function pyRepr(s: string, asciiOnly = false): string {
  const quote = s.includes('\'') && !s.includes('"') ? '"' : '\''
  const hex = (cp: number) => cp <= 0xFF
    ? `\\x${cp.toString(16).padStart(2, '0')}`
    : cp <= 0xFFFF ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`
  let out = quote
  for (const ch of s) {
    const cp = ch.codePointAt(0)!
    if (ch === quote || ch === '\\')
      out += `\\${ch}`
    else if (ch === '\t')
      out += '\\t'
    else if (ch === '\n')
      out += '\\n'
    else if (ch === '\r')
      out += '\\r'
    else if (cp < 0x20 || cp === 0x7F)
      out += hex(cp)
    else if (cp < 0x7F)
      out += ch
    else if (asciiOnly || /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(ch))
      out += hex(cp)
    else
      out += ch
  }
  return out + quote
}

/** `format(value!conversion, spec)` for one field of a template that parsed without errors. */
export function formatField(field: TemplateField, value: string): string {
  let s = field.conversion === 'r' ? pyRepr(value) : field.conversion === 'a' ? pyRepr(value, true) : value
  if (!field.formatSpec)
    return s
  const spec = parseStringSpec(field.formatSpec)
  if (typeof spec === 'string')
    throw new Error(spec)
  let cps = Array.from(s)
  if (spec.precision !== null)
    cps = cps.slice(0, spec.precision)
  s = cps.join('')
  const pad = spec.width - cps.length
  if (pad <= 0)
    return s
  const left = spec.align === '>' ? pad : spec.align === '^' ? Math.floor(pad / 2) : 0
  return spec.fill.repeat(left) + s + spec.fill.repeat(pad - left)
}

/**
 * Renders a parsed template (Python's `template.format(...)`), `value(key)` giving each
 * field's string.
 *
 * @example
 * formatTemplate(parseTemplate('{a!r} is {b:>4}|'), k => ({ a: 'x', b: 'y' })[k]!) // "'x' is    y|"
 */
export function formatTemplate(parsed: ParsedTemplate, value: (key: string) => string): string {
  return parsed.pieces.map(p => typeof p === 'string' ? p : formatField(p, value(p.key))).join('')
}
