/**
 * Colours for attribution values, matching Captum's plots: `plot_token_attr` draws
 * `imshow(..., cmap='RdYlGn', vmin=-max|a|, vmax=+max|a|)`, so 0 is always the
 * neutral middle of the ramp and the sign decides red (negative) or green (positive).
 */

/** An sRGB colour, channels 0–255. */
export type Rgb = readonly [number, number, number]

/**
 * matplotlib's 'RdYlGn' (ColorBrewer, 11 classes), which `LinearSegmentedColormap`
 * interpolates linearly between equally spaced stops. Index 5 (#ffffbf) is the centre.
 */
export const RDYLGN_STOPS: readonly Rgb[] = [
  [0xA5, 0x00, 0x26],
  [0xD7, 0x30, 0x27],
  [0xF4, 0x6D, 0x43],
  [0xFD, 0xAE, 0x61],
  [0xFE, 0xE0, 0x8B],
  [0xFF, 0xFF, 0xBF],
  [0xD9, 0xEF, 0x8B],
  [0xA6, 0xD9, 0x6A],
  [0x66, 0xBD, 0x63],
  [0x1A, 0x98, 0x50],
  [0x00, 0x68, 0x37],
]

/** matplotlib's named colours used by Captum's `plot_seq_attr` bars ('g' and 'r'). */
export const SEQ_POSITIVE = '#008000'
export const SEQ_NEGATIVE = '#ff0000'

/**
 * The largest absolute finite value in a vector or matrix (0 when there is none).
 *
 * @example
 * maxAbs([[1, -3], [2, 0]]) // 3
 */
export function maxAbs(values: ReadonlyArray<number> | ReadonlyArray<ReadonlyArray<number>>): number {
  let m = 0
  for (const row of values) {
    for (const v of (typeof row === 'number' ? [row] : row)) {
      if (Number.isFinite(v) && Math.abs(v) > m)
        m = Math.abs(v)
    }
  }
  return m
}

/**
 * Position of `value` on the ramp, in [0, 1], for the symmetric range [−scale, +scale]
 * (matplotlib's `Normalize(vmin=-scale, vmax=scale)` with clipping). A zero or invalid
 * scale, or a non-finite value, maps to the centre 0.5.
 *
 * @example
 * normalizeSymmetric(-2, 4) // 0.25
 */
export function normalizeSymmetric(value: number, scale: number): number {
  if (!Number.isFinite(value) || !(scale > 0) || !Number.isFinite(scale))
    return 0.5
  const t = 0.5 + value / (2 * scale)
  return Math.min(1, Math.max(0, t))
}

/**
 * The RdYlGn colour at ramp position `t` ∈ [0, 1] (clipped), linearly interpolated.
 *
 * @example
 * rampColor(0.5) // [255, 255, 191]
 */
export function rampColor(t: number, stops: readonly Rgb[] = RDYLGN_STOPS): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0.5)) * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(x))
  const f = x - i
  const a = stops[i]!
  const b = stops[i + 1]!
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ]
}

/**
 * CSS `rgb()` string of an RGB triple.
 *
 * @example
 * toCss([255, 255, 191]) // 'rgb(255, 255, 191)'
 */
export function toCss(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`
}

/**
 * Background colour of an attribution value on a ±`scale` diverging ramp.
 * `attributionColor(v, s)` and `attributionColor(-v, s)` sit at mirrored ramp positions.
 *
 * @example
 * attributionColor(0, 1)  // 'rgb(255, 255, 191)' (neutral)
 * attributionColor(1, 1)  // 'rgb(0, 104, 55)'    (darkest green)
 * attributionColor(-1, 1) // 'rgb(165, 0, 38)'    (darkest red)
 */
export function attributionColor(value: number, scale: number): string {
  return toCss(rampColor(normalizeSymmetric(value, scale)))
}

/**
 * Text colour on top of `attributionColor(value, scale)`: Captum writes black when
 * `0.2 < norm(value) < 0.8` and white otherwise, so labels stay readable on the dark ends.
 *
 * @example
 * textColorFor(0.1, 1) // '#000'
 * textColorFor(-0.9, 1) // '#fff'
 */
export function textColorFor(value: number, scale: number): '#000' | '#fff' {
  const t = normalizeSymmetric(value, scale)
  return t > 0.2 && t < 0.8 ? '#000' : '#fff'
}

/**
 * A CSS `linear-gradient` of the whole ramp, for the colour legend (left = −max, right = +max).
 *
 * @example
 * legendGradient('to right') // 'linear-gradient(to right, rgb(165, 0, 38) 0%, …, rgb(0, 104, 55) 100%)'
 */
export function legendGradient(direction = 'to right', stops: readonly Rgb[] = RDYLGN_STOPS): string {
  const parts = stops.map((c, i) => `${toCss(c)} ${+(100 * i / (stops.length - 1)).toFixed(2)}%`)
  return `linear-gradient(${direction}, ${parts.join(', ')})`
}
