/**
 * Number and token formatting for the attribution views. Pure functions, no DOM.
 */

/**
 * Decimals to print so that a table whose largest magnitude is `maxAbs` shows about
 * `significant` significant digits in its largest cell (all cells then share the
 * decimals, so columns line up). Clamped to [minDecimals, maxDecimals].
 *
 * @example
 * chooseDecimals(12.3)   // 1   → "12.3"
 * chooseDecimals(0.0456) // 4   → "0.0456"
 * chooseDecimals(0)      // 2
 */
export function chooseDecimals(maxAbs: number, significant = 3, minDecimals = 0, maxDecimals = 6): number {
  if (!Number.isFinite(maxAbs) || maxAbs <= 0)
    return Math.max(minDecimals, Math.min(maxDecimals, 2))
  // Digits left of the decimal point of the largest value, e.g. 12.3 → 2, 0.0456 → −1.
  const intDigits = Math.floor(Math.log10(maxAbs)) + 1
  const d = significant - intDigits
  return Math.max(minDecimals, Math.min(maxDecimals, d))
}

/**
 * Fixed-point text of `value` with `decimals` decimals; never prints "-0.00",
 * and shows "—" for a missing (non-finite) value.
 *
 * @example
 * formatFixed(-0.0001, 2) // "0.00"
 * formatFixed(1.23456, 3) // "1.235"
 */
export function formatFixed(value: number, decimals: number): string {
  if (!Number.isFinite(value))
    return '—'
  const s = value.toFixed(decimals)
  // toFixed keeps the sign of tiny negatives ("-0.00"): a sign on a zero would mislead.
  return /^-0(?:\.0*)?$/.test(s) ? s.slice(1) : s
}

/**
 * A single value with about `significant` significant digits (fixed-point, never exponent
 * notation for the magnitudes an attribution shows).
 *
 * @example
 * formatValue(-0.012345) // "-0.0123"
 * formatValue(123.456)   // "123"
 */
export function formatValue(value: number, significant = 3, maxDecimals = 6): string {
  return formatFixed(value, chooseDecimals(Math.abs(value), significant, 0, maxDecimals))
}

/**
 * Human-readable byte count (binary units, as a download bar shows them).
 *
 * @example
 * formatBytes(1536)         // "1.5 KiB"
 * formatBytes(250 * 2 ** 20) // "250 MiB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0)
    return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  const text = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v.toFixed(1)
  return `${text.replace(/\.0$/, '')} ${units[u]}`
}

/**
 * A duration in milliseconds as "0.4 s", "12 s", "3 min 05 s" or "1 h 02 min".
 *
 * @example
 * formatDuration(65_000) // "1 min 05 s"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0)
    return '—'
  if (ms < 10_000)
    return `${(ms / 1000).toFixed(1)} s`
  const s = Math.round(ms / 1000)
  if (s < 60)
    return `${s} s`
  if (s < 3600)
    return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  const m = Math.round(s / 60)
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

/**
 * Integer percentage of `done / total`, clamped to 0–100; null when total is unknown.
 *
 * @example
 * percent(1, 3) // 33
 */
export function percent(done: number, total: number | null | undefined): number | null {
  if (total == null || !Number.isFinite(total) || total <= 0 || !Number.isFinite(done))
    return null
  return Math.max(0, Math.min(100, Math.floor((100 * done) / total)))
}

/** GPT-2 byte-level BPE markers (`bytes_to_unicode`) that stand for whitespace. */
const BYTE_LEVEL_WHITESPACE: Record<string, string> = {
  Ġ: '␣', // Ġ = space
  Ċ: '↵', // Ċ = "\n"
  ĉ: '⇥', // ĉ = "\t"
  č: '↵', // č = "\r"
}

/**
 * A token as it should appear on a slide: GPT-2's byte-level whitespace markers
 * (`Ġ` space, `Ċ` newline, `ĉ` tab) become visible symbols, real whitespace in
 * "pretty" tokens is kept, and an empty token becomes `""` so the cell is not blank.
 * The result is plain text: components render it with text interpolation, never v-html.
 *
 * @example
 * displayToken('Ġlives') // "␣lives"
 * displayToken('')       // '""'
 */
export function displayToken(token: string): string {
  if (token === '')
    return '""'
  return token.replace(/[\u0120\u010A\u0109\u010D]/g, ch => BYTE_LEVEL_WHITESPACE[ch] ?? ch)
}
