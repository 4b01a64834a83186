import { describe, expect, it } from 'vitest'
import {
  baselinesToText,
  buildTemplateInput,
  checkTemplate,
  parseBaselineLines,
  parseTemplateSlots,
  parseValueLines,
  valuesToText,
} from '../../../components/lib/template'

const T1 = '{name} from {country} applied for a job as a {job}. The hiring manager decided to'

describe('parseTemplateSlots (the engine\'s parser: Python str.format fields)', () => {
  it('lists named slots once, in order of first appearance', () => {
    expect(parseTemplateSlots(T1)).toEqual({ slots: ['name', 'country', 'job'], fields: 3, positional: false, errors: [] })
    const rep = parseTemplateSlots('{name} met {friend}; {name} smiled.')
    expect(rep.slots).toEqual(['name', 'friend'])
    expect(rep.fields).toBe(3)
  })

  it('treats {{ and }} as literal braces and strips conversions / format specs', () => {
    expect(parseTemplateSlots('{{not}} a {slot} }}').slots).toEqual(['slot'])
    const p = parseTemplateSlots('{a!r} {b:>10} {c.attr} {d[0]}')
    expect(p.slots).toEqual(['a', 'b', 'c', 'd'])
    // The engine renders !r and :>10 like Python; .attr and [0] on a string value it refuses, before Run.
    expect(p.errors).toHaveLength(2)
    expect(p.errors[0]).toMatch(/"\{c\.attr\}" at position 15: attribute and index access/)
    expect(p.errors[1]).toMatch(/"\{d\[0\]\}" at position 24/)
  })

  it('takes field names verbatim, as Python looks them up', () => {
    expect(parseTemplateSlots('{ name }').slots).toEqual([' name '])
    expect(checkTemplate('{ name }', { name: 'x' }).errors[0]).toMatch(/Remove the spaces in \{ name \}/)
  })

  it('reports format specs and conversions Python rejects for a string', () => {
    expect(parseTemplateSlots('{a:d}').errors[0]).toMatch(/Unknown format code 'd' for object of type 'str'/)
    expect(parseTemplateSlots('{a!x}').errors[0]).toMatch(/unknown conversion "!x"/)
  })

  it('numbers positional fields like Python and refuses mixing', () => {
    const p = parseTemplateSlots('{} lives in {}')
    expect(p.slots).toEqual(['0', '1'])
    expect(p.positional).toBe(true)
    expect(parseTemplateSlots('{} and {0}').errors.join(' ')).toMatch(/Cannot mix/)
  })

  it('reports unmatched braces', () => {
    expect(parseTemplateSlots('a {name').errors[0]).toMatch(/Unmatched "\{"/)
    expect(parseTemplateSlots('a } b').errors[0]).toMatch(/Unmatched "\}"/)
    expect(parseTemplateSlots('{a {b}').errors[0]).toMatch(/Unmatched "\{" at position 1/)
  })
})

describe('value and baseline lines', () => {
  it('parses "slot: value" and "slot = value" lines', () => {
    const v = parseValueLines('name: Georg\n\ncountry = Germany\njob:  janitor  ')
    expect(v.entries).toEqual({ name: 'Georg', country: 'Germany', job: 'janitor' })
    expect(v.keys).toEqual(['name', 'country', 'job'])
    expect(v.errors).toEqual([])
  })

  it('reports malformed and repeated lines with their line numbers', () => {
    const v = parseValueLines('name: A\nno separator\nname: B')
    expect(v.errors).toEqual(['Line 2: expected "slot: value", got "no separator".', 'Line 3: "name" is given twice.'])
    expect(v.entries).toEqual({ name: 'A' })
  })

  it('parses comma-separated baseline choices, "" meaning the empty string', () => {
    const b = parseBaselineLines('name: John, Maria, Zhang Wei\njob: nurse, ""')
    expect(b.entries).toEqual({ name: ['John', 'Maria', 'Zhang Wei'], job: ['nurse', ''] })
    expect(parseBaselineLines('name: , ,').errors[0]).toMatch(/no baseline choices/)
  })

  it('round-trips through the text forms', () => {
    const values = { name: 'Georg', job: 'janitor' }
    expect(parseValueLines(valuesToText(values)).entries).toEqual(values)
    const bl = { name: ['John', ''], job: ['nurse'] }
    expect(parseBaselineLines(baselinesToText(bl)).entries).toEqual(bl)
    expect(baselinesToText(null)).toBe('')
  })
})

describe('checkTemplate', () => {
  it('accepts matching slots, values and baselines', () => {
    const c = checkTemplate(T1, { name: 'Georg', country: 'Germany', job: 'janitor' }, { name: ['John'], country: ['Togo'], job: ['nurse'] })
    expect(c.ok).toBe(true)
    expect(c.errors).toEqual([])
  })

  it('lists missing and extra values', () => {
    const c = checkTemplate(T1, { name: 'Georg', age: '3', city: 'Bonn' })
    expect(c.ok).toBe(false)
    expect(c.missing).toEqual(['country', 'job'])
    expect(c.extra).toEqual(['age', 'city'])
    expect(c.errors).toEqual([
      'Missing values for slots: country, job.',
      'Values given for names that are not slots: age, city.',
    ])
  })

  it('needs one value per repeated slot, not per occurrence', () => {
    expect(checkTemplate('{x} and {x}', { x: 'a' }).ok).toBe(true)
  })

  it('requires baselines for every slot once any are given', () => {
    const c = checkTemplate(T1, { name: 'G', country: 'D', job: 'j' }, { name: ['John'], religion: ['x'] })
    expect(c.missingBaselines).toEqual(['country', 'job'])
    expect(c.extraBaselines).toEqual(['religion'])
    expect(c.ok).toBe(false)
    expect(checkTemplate(T1, { name: 'G', country: 'D', job: 'j' }, {}).ok).toBe(true)
  })

  it('rejects templates without named slots', () => {
    expect(checkTemplate('no slots', {}).errors[0]).toMatch(/no \{slot\}/)
    expect(checkTemplate('{} x', { 0: 'a' }).errors.join(' ')).toMatch(/named slots/)
  })

  it('does not treat Object.prototype names as given values', () => {
    expect(checkTemplate('{constructor}', {}).missing).toEqual(['constructor'])
  })
})

describe('buildTemplateInput', () => {
  it('emits the RequestInput of engine/api.ts, in slot order', () => {
    const r = buildTemplateInput(T1, 'job: janitor\nname: Georg\ncountry: Germany', 'country: Togo, Tuvalu\nname: John, Maria\njob: nurse, CEO')
    expect(r.ok).toBe(true)
    if (!r.ok)
      return
    expect(r.input).toEqual({
      type: 'template',
      template: T1,
      values: { name: 'Georg', country: 'Germany', job: 'janitor' },
      productBaselines: { name: ['John', 'Maria'], country: ['Togo', 'Tuvalu'], job: ['nurse', 'CEO'] },
    })
    expect(Object.keys(r.input.values)).toEqual(['name', 'country', 'job'])
  })

  it('uses productBaselines: null when no baselines are written', () => {
    const r = buildTemplateInput('{a} b', 'a: x', '  \n')
    expect(r.ok && r.input.productBaselines).toBeNull()
  })

  it('collects every problem from all three fields', () => {
    const r = buildTemplateInput('{a} {b', 'a: x\nc: y\nbad', 'a: ,')
    expect(r.ok).toBe(false)
    if (r.ok)
      return
    expect(r.errors).toEqual([
      'Line 3: expected "slot: value", got "bad".',
      'Line 1: "a" has no baseline choices.',
      'Unmatched "{" at position 5: write "{{" for a literal brace.',
      'Value given for a name that is not a slot: c.',
    ])
  })
})
