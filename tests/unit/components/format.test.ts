import { describe, expect, it } from 'vitest'
import { chooseDecimals, displayToken, formatBytes, formatDuration, formatFixed, formatValue, percent } from '../../../components/lib/format'

describe('number formatting', () => {
  it('chooses decimals from the magnitude for ~3 significant digits', () => {
    expect(chooseDecimals(12.3)).toBe(1)
    expect(chooseDecimals(1.5)).toBe(2)
    expect(chooseDecimals(0.999)).toBe(3)
    expect(chooseDecimals(0.0456)).toBe(4)
    expect(chooseDecimals(456)).toBe(0)
    expect(chooseDecimals(1e-9)).toBe(6) // clamped
    expect(chooseDecimals(0)).toBe(2)
    expect(chooseDecimals(Number.NaN)).toBe(2)
    expect(chooseDecimals(0.0456, 2)).toBe(3)
  })

  it('prints fixed decimals, never "-0.00", and a dash for missing values', () => {
    expect(formatFixed(1.23456, 3)).toBe('1.235')
    expect(formatFixed(-0.0001, 2)).toBe('0.00')
    expect(formatFixed(-0, 0)).toBe('0')
    expect(formatFixed(-0.5, 2)).toBe('-0.50')
    expect(formatFixed(Number.NaN, 2)).toBe('—')
    expect(formatFixed(Number.POSITIVE_INFINITY, 2)).toBe('—')
  })

  it('formats single values with 3 significant digits', () => {
    expect(formatValue(-0.012345)).toBe('-0.0123')
    expect(formatValue(123.456)).toBe('123')
    expect(formatValue(2.5)).toBe('2.50')
  })

  it('formats bytes, durations and percentages', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(250 * 2 ** 20)).toBe('250 MiB')
    expect(formatBytes(2 ** 30)).toBe('1 GiB')
    expect(formatBytes(-1)).toBe('—')
    expect(formatDuration(400)).toBe('0.4 s')
    expect(formatDuration(12_400)).toBe('12 s')
    expect(formatDuration(65_000)).toBe('1 min 05 s')
    expect(formatDuration(3_720_000)).toBe('1 h 02 min')
    expect(formatDuration(Number.NaN)).toBe('—')
    expect(percent(1, 3)).toBe(33)
    expect(percent(5, 4)).toBe(100)
    expect(percent(1, 0)).toBeNull()
    expect(percent(1, null)).toBeNull()
  })
})

describe('displayToken', () => {
  it('turns GPT-2 byte-level whitespace markers into visible symbols', () => {
    expect(displayToken('Ġlives')).toBe('␣lives')
    expect(displayToken('ĠĠ')).toBe('␣␣')
    expect(displayToken('Ċ')).toBe('↵')
    expect(displayToken('ĉx')).toBe('⇥x')
    expect(displayToken('playing')).toBe('playing')
    expect(displayToken('')).toBe('""')
  })

  it('leaves markup as plain text (components never use v-html)', () => {
    expect(displayToken('<b>x</b>')).toBe('<b>x</b>')
  })
})
