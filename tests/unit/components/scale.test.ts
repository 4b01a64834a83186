// @vitest-environment happy-dom
import type { DOMWrapper } from '@vue/test-utils'
/**
 * The colour-scale rules of the attribution views (components/lib/scale.ts): exact zeros
 * say so and stay neutral, several panes share one scale, and a scale below 1e-6 of the
 * output change is never stretched into colour. Also WordAttribution with those rules.
 */
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { attributionColor, rampColor, toCss } from '../../../components/lib/palette'
import { colorScale, formatAttribution, NOISE_FRACTION, noiseNote } from '../../../components/lib/scale'
import WordAttribution from '../../../components/WordAttribution.vue'

const NEUTRAL = toCss(rampColor(0.5))

describe('formatAttribution', () => {
  it('prints an exact zero as "0 (exactly)", also for -0', () => {
    expect(formatAttribution(0)).toBe('0 (exactly)')
    expect(formatAttribution(-0)).toBe('0 (exactly)')
  })
  it('never rounds a tiny non-zero value to a zero', () => {
    expect(formatAttribution(2.656e-5)).toBe('2.66e-5')
    expect(formatAttribution(-9.7e-7)).toBe('-9.70e-7')
    expect(formatAttribution(0.353514)).toBe('0.354')
    expect(formatAttribution(12.34)).toBe('12.3')
    expect(formatAttribution(Number.NaN)).toBe('—')
  })
})

describe('colorScale', () => {
  it('is one scale over every pane: max |value| of all of them', () => {
    const s = colorScale([[0, 0, 0], [0.35, -0.01]], 0.47)
    expect(s).toEqual({ scale: 0.35, maxAbs: 0.35, belowNoise: false })
    // Exact zeros sit at the neutral centre of that shared scale.
    expect(attributionColor(0, s.scale)).toBe(NEUTRAL)
  })
  it('does not stretch values below 1e-6 of the output change: all neutral, and says so', () => {
    const ref = 0.47
    const tiny = [NOISE_FRACTION * ref * 0.9, -NOISE_FRACTION * ref * 0.5]
    const s = colorScale([tiny], ref)
    expect(s.belowNoise).toBe(true)
    expect(s.scale).toBe(0)
    for (const v of tiny)
      expect(attributionColor(v, s.scale)).toBe(NEUTRAL)
    expect(noiseNote(s)).toMatch(/below 1e-6 of the output change/)
    // Just above the floor, the values are real and get the full ramp.
    const above = colorScale([[NOISE_FRACTION * ref * 1.1]], ref)
    expect(above.belowNoise).toBe(false)
    expect(attributionColor(above.maxAbs, above.scale)).toBe(toCss(rampColor(1)))
  })
  it('all exact zeros: scale 0, neutral, "every attribution is exactly 0"', () => {
    const s = colorScale([[0, 0]], 0.47)
    expect(s).toEqual({ scale: 0, maxAbs: 0, belowNoise: false })
    expect(noiseNote(s)).toBe('every attribution is exactly 0')
  })
  it('without a reference, applies no noise rule', () => {
    expect(colorScale([[1e-12]]).scale).toBe(1e-12)
  })
})

describe('wordAttribution with the scale rules', () => {
  const bg = (n: DOMWrapper<Element>) => (n.element as HTMLElement).style.background
  const scoredOf = (w: ReturnType<typeof mount>) => w.get('[data-testid="word-attribution"]').findAll('[data-value]')
  it('draws exact zeros neutral with "0 (exactly)" on a scale shared with another pane', () => {
    const scale = colorScale([[0, 0], [0.2, 0.4]], 0.6)
    const w = mount(WordAttribution, { props: { words: ['fun', 'good'], scores: [0, 0], scale } })
    const scored = scoredOf(w)
    expect(scored.map(bg)).toEqual([NEUTRAL, NEUTRAL])
    expect(scored[0]!.attributes('title')).toBe('"fun": 0 (exactly)')
    // The legend shows the shared ±0.4, not this pane's own 0.
    expect(w.text()).toContain('0.400')
  })
  it('says so instead of stretching noise to full colour', () => {
    const w = mount(WordAttribution, { props: { words: ['fun'], scores: [1e-8], reference: 0.5 } })
    const scored = scoredOf(w)
    expect(bg(scored[0]!)).toBe(NEUTRAL)
    expect(w.get('[data-testid="scale-note"]').text()).toMatch(/below 1e-6 of the output change/)
  })
})
