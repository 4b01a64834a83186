/**
 * The colour scale of an attribution view, and how its values are printed. Pure functions.
 *
 * Two rules keep a picture honest:
 * - an attribution that is exactly 0 is printed "0 (exactly)" and drawn neutral;
 * - a scale whose largest |value| is below `NOISE_FRACTION` of the output change is not
 *   stretched to full colour (that would paint float noise as strong evidence): every
 *   value is drawn neutral and the view says so in words.
 */

/** Attributions below this fraction of |output change| are noise, not colour. */
export const NOISE_FRACTION = 1e-6

export interface ColorScale {
  /** ±scale maps to the ends of the ramp; 0 draws everything neutral. */
  scale: number
  /** The largest finite |value| of the data. */
  maxAbs: number
  /** True when maxAbs > 0 but below NOISE_FRACTION · |reference|: drawn neutral. */
  belowNoise: boolean
}

/**
 * One colour scale for one or several sets of attributions (several panes share it).
 * `reference` is the output change F(x) − F(x′) the attributions explain (or the output
 * itself when the baseline's output is unknown); null skips the noise rule.
 *
 * @example
 * colorScale([[0, 0], [0.3, -0.1]], 0.47) // { scale: 0.3, maxAbs: 0.3, belowNoise: false }
 * colorScale([[2e-8]], 0.47)             // { scale: 0, maxAbs: 2e-8, belowNoise: true }
 */
export function colorScale(sets: ReadonlyArray<ReadonlyArray<number>>, reference: number | null = null): ColorScale {
  let m = 0
  for (const set of sets) {
    for (const v of set) {
      if (Number.isFinite(v) && Math.abs(v) > m)
        m = Math.abs(v)
    }
  }
  const floor = reference != null && Number.isFinite(reference) ? NOISE_FRACTION * Math.abs(reference) : 0
  const belowNoise = m > 0 && m < floor
  return { scale: belowNoise ? 0 : m, maxAbs: m, belowNoise }
}

/**
 * The sentence a view shows instead of stretching noise, or null when the scale is real.
 *
 * @example
 * noiseNote({ scale: 0, maxAbs: 2e-8, belowNoise: true }) // 'max |attribution| 2.0e-8 is below 1e-6 of the output change: drawn neutral, not stretched'
 */
export function noiseNote(s: ColorScale): string | null {
  if (s.belowNoise)
    return `max |attribution| ${s.maxAbs.toExponential(1)} is below 1e-6 of the output change: drawn neutral, not stretched`
  if (s.maxAbs === 0)
    return 'every attribution is exactly 0'
  return null
}

/**
 * An attribution as text: an exact zero says so; tiny values use exponent notation
 * rather than rounding to a misleading "0.000".
 *
 * @example
 * formatAttribution(0)         // '0 (exactly)'
 * formatAttribution(-0)        // '0 (exactly)'
 * formatAttribution(2.66e-5)   // '2.66e-5'
 * formatAttribution(0.35351)   // '0.354'
 */
export function formatAttribution(v: number, significant = 3): string {
  if (v === 0)
    return '0 (exactly)'
  if (!Number.isFinite(v))
    return '—'
  const a = Math.abs(v)
  if (a < 1e-3)
    return v.toExponential(significant - 1).replace(/e([+-])0*(\d)/, 'e$1$2').replace('e+', 'e')
  const d = Math.max(0, Math.min(6, significant - (Math.floor(Math.log10(a)) + 1)))
  return v.toFixed(d)
}
