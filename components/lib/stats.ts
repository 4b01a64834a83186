/**
 * Rank statistics for comparing attribution methods on one input.
 */

/**
 * Ranks 1…n of `values` (ascending), ties sharing the average of their ranks — the
 * convention of `scipy.stats.rankdata(method='average')` that Spearman's ρ needs.
 *
 * @example
 * averageRanks([10, 20, 20, 5]) // [2, 3.5, 3.5, 1]
 */
export function averageRanks(values: ReadonlyArray<number>): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v)
  const ranks = Array.from<number>({ length: values.length })
  let k = 0
  while (k < order.length) {
    let end = k
    while (end + 1 < order.length && order[end + 1]!.v === order[k]!.v)
      end++
    // Positions k…end (0-based) hold equal values: each gets the mean rank.
    const rank = (k + end) / 2 + 1
    for (let j = k; j <= end; j++)
      ranks[order[j]!.i] = rank
    k = end + 1
  }
  return ranks
}

/**
 * Pearson correlation of two equal-length vectors; null when it is undefined
 * (fewer than 2 points, or a constant vector), so a table shows "—" and never NaN.
 *
 * @example
 * pearson([1, 2, 3], [2, 4, 7]) // 0.993…
 */
export function pearson(x: ReadonlyArray<number>, y: ReadonlyArray<number>): number | null {
  const n = x.length
  if (n !== y.length)
    throw new RangeError(`pearson: lengths differ (${n} vs ${y.length})`)
  if (n < 2)
    return null
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]!
    my += y[i]!
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx
    const dy = y[i]! - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0)
    return null
  const r = sxy / Math.sqrt(sxx * syy)
  // Rounding can push |r| a hair past 1 for identical rankings.
  return Math.max(-1, Math.min(1, r))
}

/**
 * Spearman rank correlation ρ: Pearson's r of the average ranks (ties handled as
 * `scipy.stats.spearmanr`). Null when undefined (n < 2 or a constant vector).
 * Non-finite values are not allowed.
 *
 * @example
 * spearman([1, 2, 3, 4], [10, 20, 30, 40]) // 1
 * spearman([1, 2, 3, 4], [4, 3, 2, 1])     // -1
 */
export function spearman(x: ReadonlyArray<number>, y: ReadonlyArray<number>): number | null {
  if (x.length !== y.length)
    throw new RangeError(`spearman: lengths differ (${x.length} vs ${y.length})`)
  if (!x.every(Number.isFinite) || !y.every(Number.isFinite))
    throw new RangeError('spearman: values must be finite numbers')
  return pearson(averageRanks(x), averageRanks(y))
}

/**
 * Pairwise Spearman ρ between the rows (one row per method, one column per feature):
 * a symmetric [nMethods][nMethods] matrix, 1 on the diagonal unless a row is constant.
 *
 * @example
 * spearmanMatrix([[1, 2, 3], [3, 2, 1]]) // [[1, -1], [-1, 1]]
 */
export function spearmanMatrix(rows: ReadonlyArray<ReadonlyArray<number>>): Array<Array<number | null>> {
  const ranks = rows.map((r) => {
    if (!r.every(Number.isFinite))
      throw new RangeError('spearmanMatrix: values must be finite numbers')
    return averageRanks(r)
  })
  const n = rows.length
  const out: Array<Array<number | null>> = Array.from({ length: n }, () => Array.from<number | null>({ length: n }).fill(null))
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const rho = pearson(ranks[i]!, ranks[j]!)
      out[i]![j] = rho
      out[j]![i] = rho
    }
  }
  return out
}
