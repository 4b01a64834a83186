/**
 * Every slide of slides.md carries presenter notes: a trailing HTML comment of at least two
 * sentences with a suggested time `[~N min]`, and the times add up to a 30-40 minute talk.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SLIDES = resolve(__dirname, '../../../slides.md')

interface Slide { index: number, frontmatter: string, body: string }

const FENCE = /^\s{0,3}(`{3,}|~{3,})/
const FRONTMATTER_KEY = /^[A-Z_][\w-]*:/i

/**
 * Split a Slidev deck the way Slidev does: the file opens with headmatter between `---`
 * lines; every later `---` line outside a fenced code block separates slides, and a slide
 * may open with its own `key: value` frontmatter closed by the next `---`.
 */
export function splitSlides(src: string): Slide[] {
  const lines = src.replace(/\r\n/g, '\n').split('\n')
  let i = 0
  if (lines[0]?.trim() === '---') {
    i = 1
    while (i < lines.length && lines[i].trim() !== '---')
      i++
    i++
  }
  const slides: Slide[] = []
  let frontmatter: string[] = []
  let body: string[] = []
  let fence: string | null = null
  const flush = () => {
    slides.push({ index: slides.length + 1, frontmatter: frontmatter.join('\n'), body: body.join('\n') })
    frontmatter = []
    body = []
  }
  for (; i < lines.length; i++) {
    const line = lines[i]
    const m = line.match(FENCE)
    if (m) {
      if (fence === null)
        fence = m[1][0]
      else if (m[1][0] === fence)
        fence = null
      body.push(line)
      continue
    }
    if (fence === null && line.trim() === '---') {
      flush()
      // A frontmatter block right after the separator: `key: value` lines up to the next `---`.
      if (FRONTMATTER_KEY.test(lines[i + 1] ?? '')) {
        let k = i + 1
        while (k < lines.length && lines[k].trim() !== '---')
          k++
        if (k < lines.length) {
          frontmatter = lines.slice(i + 1, k)
          i = k
        }
      }
      continue
    }
    body.push(line)
  }
  flush()
  return slides
}

/** The note: the HTML comment(s) at the very end of the slide, after all content. */
export function trailingNote(body: string): string | null {
  let rest = body.trimEnd()
  const notes: string[] = []
  while (rest.endsWith('-->')) {
    const open = rest.lastIndexOf('<!--')
    if (open < 0)
      break
    notes.unshift(rest.slice(open + 4, rest.length - 3).trim())
    rest = rest.slice(0, open).trimEnd()
  }
  return notes.length ? notes.join('\n\n') : null
}

function sentences(text: string): number {
  return text.replace(/\[~[\d.]+ min\]/g, '').split(/[.!?](?:\s|$)/).filter(s => /[a-z]{2}/i.test(s)).length
}

const TIME = /\[~(\d+(?:\.\d+)?) min\]/g
function minutes(note: string): number[] {
  return [...note.matchAll(TIME)].map(m => Number(m[1]))
}

describe('presenter notes in slides.md', () => {
  const slides = splitSlides(readFileSync(SLIDES, 'utf8'))

  it('splits the deck into its slides (code fences and frontmatter do not split)', () => {
    expect(slides.length).toBeGreaterThanOrEqual(25)
    for (const s of slides) {
      expect(s.body, `slide ${s.index} starts with frontmatter left in its body`).not.toMatch(/^\s*layout:/)
      expect(s.body.trim(), `slide ${s.index} is empty`).not.toBe('')
    }
  })

  it('the splitter ignores --- inside a fenced code block', () => {
    const deck = '---\ntitle: t\n---\n\n# A\n\n```yaml\na: 1\n---\nb: 2\n```\n\n<!-- One. Two. -->\n\n---\nlayout: x\n---\n\n# B\n'
    const s = splitSlides(deck)
    expect(s).toHaveLength(2)
    expect(s[1].frontmatter).toBe('layout: x')
    expect(trailingNote(s[0].body)).toBe('One. Two.')
    expect(trailingNote(s[1].body)).toBeNull()
  })

  it.each(slides.map(s => [s.index, s.body.match(/^# (\S.*)$/m)?.[1] ?? '', s] as const))(
    'slide %i (%s) ends with a note of at least two sentences and one suggested time',
    (_i, _title, s) => {
      const note = trailingNote(s.body)
      expect(note, `slide ${s.index} has no trailing <!-- note -->`).toBeTruthy()
      expect(note!.length).toBeGreaterThan(40)
      expect(sentences(note!), `slide ${s.index}'s note has fewer than 2 sentences`).toBeGreaterThanOrEqual(2)
      expect(minutes(note!), `slide ${s.index}'s note has no [~N min]`).toHaveLength(1)
    },
  )

  it('the suggested times add up to 30-40 minutes', () => {
    const total = slides.reduce((sum, s) => sum + minutes(trailingNote(s.body) ?? '').reduce((a, b) => a + b, 0), 0)
    expect(Number.isFinite(total)).toBe(true)
    expect(total).toBeGreaterThanOrEqual(30)
    expect(total).toBeLessThanOrEqual(40)
  })
})

describe('students alone', () => {
  const demoTag = /<(?:\w+Demo|IgExplorer)\b/
  it('every slide with a demo says what to notice in it, on the slide itself', () => {
    const slides = splitSlides(readFileSync(SLIDES, 'utf8'))
    const withDemo = slides.filter(s => demoTag.test(s.body))
    expect(withDemo.length).toBeGreaterThanOrEqual(20)
    // The note is for the lecturer; the line must be outside it, where a student reads.
    const visible = (body: string) => body.replace(/<!--[\s\S]*?-->/g, '')
    const missing = withDemo.filter(s => !/What to notice:/.test(visible(s.body))).map(s => `slide ${s.index}: ${s.body.match(/^# (.*)$/m)?.[1] ?? '(untitled)'}`)
    expect(missing).toEqual([])
  })
})
