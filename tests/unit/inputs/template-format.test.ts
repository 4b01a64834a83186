/**
 * The one template parser (engine/inputs/template-format.ts) against Python's `str.format`.
 * Every expected value is what CPython 3.11 gives (`template.format(...)`,
 * `string.Formatter().parse`, `format(s, spec)`, `repr`, `ascii`), written out by hand.
 */
import type { LlmTokenizer } from '../../../engine/inputs/tokenizer'
import { describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { formatTemplate, parseTemplate, pyRepr } from '../../../engine/inputs/template-format'
import { TextTemplateInput } from '../../../engine/inputs/text-template-input'

/** Python's `template.format(**values)` through our parser. */
function fmt(template: string, values: Record<string, string>): string {
  const p = parseTemplate(template)
  expect(p.errors).toEqual([])
  return formatTemplate(p, k => values[k]!)
}

describe('fields and their keys (Formatter.parse + field_name_split)', () => {
  it('splits literal text and fields, {{ and }} being literal braces', () => {
    const p = parseTemplate('{{literal}} {x!r:>8} }}')
    expect(p.pieces).toEqual(['{literal} ', { fieldName: 'x', key: 'x', kind: 'name', conversion: 'r', formatSpec: '>8', at: 12 }, ' }'])
    expect(fmt('{{}}', {})).toBe('{}')
    expect(fmt('a {{b}} {c}', { c: 'C' })).toBe('a {b} C')
  })

  it('keys are the field name up to "." or "[" (after "!" and ":" are split off)', () => {
    const p = parseTemplate('{a!r} {b:>10} {c.attr} {d[0]} {e[x.y]!s}')
    expect(p.keys).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(p.pieces.filter(x => typeof x !== 'string').map(x => typeof x === 'string' ? x : x.fieldName))
      .toEqual(['a', 'b', 'c.attr', 'd[0]', 'e[x.y]'])
  })

  it('does not trim: "{ a}" looks up " a"', () => {
    expect(parseTemplate('{ a}').keys).toEqual([' a'])
    expect(fmt('{ a}', { ' a': 'sp' })).toBe('sp')
  })

  it('a "}" inside [...] belongs to the field name', () => {
    expect(parseTemplate('{d[}]}').pieces).toMatchObject([{ fieldName: 'd[}]', key: 'd' }])
  })

  it('numbers "{}" 0, 1, … and reads "{0}" / "{01}" as positions', () => {
    const p = parseTemplate('{} lives in {}')
    expect(p.keys).toEqual(['0', '1'])
    expect(p.positional).toBe(true)
    expect(parseTemplate('{1}{01}{0}').keys).toEqual(['1', '0'])
    expect(parseTemplate('{name}').positional).toBe(false)
    expect(parseTemplate('{:5}{!r}').keys).toEqual(['0', '1'])
  })

  it('refuses mixing automatic and manual numbering, either way round', () => {
    expect(parseTemplate('{} and {0}').errors.join(' ')).toMatch(/Cannot mix/)
    expect(parseTemplate('{0} and {}').errors.join(' ')).toMatch(/Cannot mix/)
    expect(parseTemplate('{} and {name}').errors).toEqual([])
  })
})

describe('errors where Python raises ValueError', () => {
  const err = (t: string) => parseTemplate(t).errors
  it('lone braces ("Single \'}\'", "Single \'{\'", "expected \'}\' before end of string")', () => {
    expect(err('a } b')).toEqual(['Unmatched "}" at position 3: write "}}" for a literal brace.'])
    expect(err('{}}')).toEqual(['Unmatched "}" at position 3: write "}}" for a literal brace.'])
    expect(err('x {')).toEqual(['Unmatched "{" at position 3: write "{{" for a literal brace.'])
    expect(err('a {name')).toEqual(['Unmatched "{" at position 3: write "{{" for a literal brace.'])
    expect(err('{a[0}')).toEqual(['Unmatched "{" at position 1: write "{{" for a literal brace.'])
  })

  it('"unexpected \'{\' in field name", then goes on scanning', () => {
    const p = parseTemplate('{a {b}')
    expect(p.errors).toEqual(['Unmatched "{" at position 1: write "{{" for a literal brace.'])
    expect(p.keys).toEqual(['b'])
  })

  it('"unmatched \'{\' in format spec" and bad conversions', () => {
    expect(err('{a:>5')).toHaveLength(1)
    expect(err('{a!r')).toHaveLength(1)
    expect(err('{a!}')).toHaveLength(1)
    expect(err('{a!rr}')[0]).toMatch(/needs ":" or "\}" after its conversion "!r"/)
    expect(err('{a!x}')[0]).toMatch(/unknown conversion "!x"/)
  })

  it('format specs Python rejects for a str, with Python\'s message', () => {
    expect(err('{a:=5}')[0]).toBe('"{a:=5}" at position 1: \'=\' alignment not allowed in string format specifier.')
    expect(err('{a:+5}')[0]).toMatch(/Sign not allowed in string format specifier/)
    expect(err('{a:#5}')[0]).toMatch(/Alternate form \(#\) not allowed/)
    expect(err('{a:,}')[0]).toBe('"{a:,}" at position 1: Cannot specify \',\' with \'s\'.')
    expect(err('{a:_}')[0]).toMatch(/Cannot specify '_' with 's'/)
    expect(err('{a:d}')[0]).toMatch(/Unknown format code 'd' for object of type 'str'/)
    expect(err('{a:z5}')[0]).toMatch(/Negative zero coercion/)
    expect(err('{a:5.}')[0]).toMatch(/Format specifier missing precision/)
    expect(err('{a:xyz}')[0]).toMatch(/Invalid format specifier 'xyz'/)
  })
})

describe('what we do not support, said before Run', () => {
  it('attribute and index access on a string value', () => {
    expect(parseTemplate('{c.attr}').errors[0]).toMatch(/"\{c\.attr\}" at position 1: attribute and index access \("\.attr"\) is not supported/)
    expect(parseTemplate('x {d[0]}').errors[0]).toMatch(/"\{d\[0\]\}" at position 3/)
  })

  it('nested fields in a format spec', () => {
    expect(parseTemplate('{a:{w}}').errors[0]).toMatch(/nested fields in a format spec are not supported/)
  })
})

describe('rendering like str.format', () => {
  it('format specs of a str: fill, align, 0, width, precision, type s', () => {
    const cases: Array<[string, string]> = [
      ['>5', '  abc'],
      ['<5', 'abc  '],
      ['^6', ' abc  '],
      ['*^7', '**abc**'],
      ['05', 'abc00'],
      ['>05', '00abc'],
      ['5', 'abc  '],
      ['.1', 'a'],
      ['8.3', 'abc     '],
      ['x<05', 'abcxx'],
      ['010.2s', 'ab00000000'],
      ['^', 'abc'],
      ['s', 'abc'],
      ['2', 'abc'],
    ]
    for (const [spec, want] of cases)
      expect(fmt(`{a:${spec}}`, { a: 'abc' }), spec).toBe(want)
    expect(fmt('{0!s:^7}', { 0: 'xy' })).toBe('  xy   ')
    expect(fmt('{a:>3}', { a: '中😀' })).toBe(' 中😀')
  })

  it('!r and !a are repr() and ascii()', () => {
    expect(fmt('{a!r}', { a: 'xy' })).toBe('\'xy\'')
    expect(fmt('{a!r:>6}', { a: 'xy' })).toBe('  \'xy\'')
    expect(fmt('{a!r}', { a: '' })).toBe('\'\'')
    expect(pyRepr('it\'s')).toBe('"it\'s"')
    expect(pyRepr('say "hi"')).toBe('\'say "hi"\'')
    expect(pyRepr('both \' and "')).toBe('\'both \\\' and "\'')
    expect(pyRepr('tab\tnl\n\\')).toBe('\'tab\\tnl\\n\\\\\'')
    expect(pyRepr('é ü 中 \x7F \u200B \u{1F600} \xA0')).toBe('\'é ü 中 \\x7f \\u200b \u{1F600} \\xa0\'')
    expect(pyRepr('é ü 中 \x7F \u200B \u{1F600} \xA0', true)).toBe('\'\\xe9 \\xfc \\u4e2d \\x7f \\u200b \\U0001f600 \\xa0\'')
  })
})

describe('textTemplateInput renders through the same parser', () => {
  const chars: LlmTokenizer = {
    encode: s => Array.from(s, c => c.codePointAt(0)!),
    decode: ids => String.fromCodePoint(...ids),
    convertIdsToTokens: ids => ids.map(i => String.fromCodePoint(i)),
    convertTokensToIds: ts => ts.map(t => t.codePointAt(0)!),
  }

  it('applies conversions and specs to values and to baselines', () => {
    const inp = new TextTemplateInput('{name!r} is a {job:>6}.', { name: 'Ann', job: 'nurse' }, chars, { baselines: { job: 'x' } })
    expect(chars.decode(inp.originalIds())).toBe('\'Ann\' is a  nurse.')
    expect(chars.decode(inp.toModelIds(Uint8Array.from([0, 0])))).toBe('\'\' is a      x.')
  })

  it('throws a template error for what the editor reports', () => {
    for (const t of ['{c.attr}', '{a:d}', '{a!x}', '{a:{w}}', '{a'])
      expect(() => new TextTemplateInput(t, { a: 'x', c: 'y' }, chars), t).toThrowError(AttributionError)
  })

  it('positional fields take a list, as template.format(*values) does', () => {
    expect(chars.decode(new TextTemplateInput('{1} {0}', ['a', 'b'], chars).originalIds())).toBe('b a')
    expect(() => new TextTemplateInput('{0}', { 0: 'a' }, chars)).toThrowError(/positional/)
  })
})
