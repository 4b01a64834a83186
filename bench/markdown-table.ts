/**
 * Printing helpers for the benchmarks: the same right-aligned markdown tables and
 * medians as `scripts/bench.ts`, so the Node and the browser tables read alike.
 */

/**
 * A markdown table of `rows` (the first row's keys are the columns), with a blank line after.
 *
 * @example
 * markdownTable([{ method: 'FeatureAblation', 'wall ms': 120 }])
 * // | method          | wall ms |  (right-aligned cells)
 */
export function markdownTable(rows: Array<Record<string, string | number>>): string {
  if (!rows.length)
    return ''
  const cols = Object.keys(rows[0]!)
  const width = cols.map(c => Math.max(c.length, ...rows.map(r => String(r[c]).length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(width[i]!)).join(' | ')} |`
  return [
    line(cols),
    `|${width.map(w => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(r => line(cols.map(c => String(r[c])))),
    '',
  ].join('\n')
}

/**
 * The median ("median of N" because other processes share the machine).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
