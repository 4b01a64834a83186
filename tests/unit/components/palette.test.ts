import { describe, expect, it } from 'vitest'
import {
  attributionColor,
  legendGradient,
  maxAbs,
  normalizeSymmetric,
  rampColor,
  RDYLGN_STOPS,
  textColorFor,
  toCss,
} from '../../../components/lib/palette'

function parseRgb(css: string): number[] {
  const m = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(css)
  if (!m)
    throw new Error(`not an rgb() colour: ${css}`)
  return [Number(m[1]), Number(m[2]), Number(m[3])]
}

describe('palette (matplotlib RdYlGn, symmetric about 0 like plot_token_attr)', () => {
  it('maps 0 to the neutral centre #ffffbf and ±max to the ramp ends', () => {
    expect(attributionColor(0, 3)).toBe('rgb(255, 255, 191)')
    expect(attributionColor(3, 3)).toBe('rgb(0, 104, 55)') // #006837 dark green
    expect(attributionColor(-3, 3)).toBe('rgb(165, 0, 38)') // #a50026 dark red
    // Values beyond the scale are clipped, as matplotlib's Normalize(clip) shows them.
    expect(attributionColor(10, 3)).toBe('rgb(0, 104, 55)')
    expect(attributionColor(-10, 3)).toBe('rgb(165, 0, 38)')
  })

  it('puts v and −v at mirrored ramp positions with mirrored colours', () => {
    const scale = 1.7
    for (const v of [0.01, 0.2, 0.5, 0.77, 1.1, 1.69]) {
      const t = normalizeSymmetric(v, scale)
      const tn = normalizeSymmetric(-v, scale)
      expect(t).toBeGreaterThan(0.5)
      expect(t + tn).toBeCloseTo(1, 12)
      const neg = parseRgb(attributionColor(-v, scale))
      const mirrored = rampColor(1 - t)
      for (let c = 0; c < 3; c++)
        expect(Math.abs(neg[c]! - mirrored[c]!)).toBeLessThanOrEqual(1)
      // Sign shows as hue: positive greener than red, negative redder than green.
      const pos = parseRgb(attributionColor(v, scale))
      expect(pos[1]!).toBeGreaterThan(pos[0]!)
      expect(neg[0]!).toBeGreaterThan(neg[1]!)
    }
  })

  it('interpolates linearly between the 11 ColorBrewer stops', () => {
    expect(rampColor(0.1)).toEqual([...RDYLGN_STOPS[1]!])
    // Halfway between #f46d43 and #fdae61.
    expect(rampColor(0.25)).toEqual([Math.round((0xF4 + 0xFD) / 2), Math.round((0x6D + 0xAE) / 2), Math.round((0x43 + 0x61) / 2)])
  })

  it('is neutral for a zero or invalid scale and for non-finite values, never NaN', () => {
    expect(normalizeSymmetric(1, 0)).toBe(0.5)
    expect(normalizeSymmetric(Number.NaN, 1)).toBe(0.5)
    expect(attributionColor(5, 0)).toBe('rgb(255, 255, 191)')
    expect(normalizeSymmetric(-1, 4)).toBe(0.375)
  })

  it('chooses text colour like Captum: black inside (0.2, 0.8) of the norm, else white', () => {
    expect(textColorFor(0, 1)).toBe('#000')
    expect(textColorFor(0.59, 1)).toBe('#000') // norm 0.795
    expect(textColorFor(0.6, 1)).toBe('#fff') // norm 0.8
    expect(textColorFor(-0.9, 1)).toBe('#fff')
  })

  it('finds max |value| over vectors and matrices, ignoring non-finite entries', () => {
    expect(maxAbs([[1, -3], [2, 0]])).toBe(3)
    expect(maxAbs([0.5, -0.25, Number.NaN])).toBe(0.5)
    expect(maxAbs([])).toBe(0)
  })

  it('builds a legend gradient from red (left) to green (right)', () => {
    const g = legendGradient()
    expect(g.startsWith('linear-gradient(to right, rgb(165, 0, 38) 0%')).toBe(true)
    expect(g.endsWith('rgb(0, 104, 55) 100%)')).toBe(true)
    expect(toCss([1, 2, 3])).toBe('rgb(1, 2, 3)')
  })
})
