/**
 * Time-remaining estimates for downloads and attribution runs.
 */

/**
 * Remaining milliseconds assuming the rate so far continues: elapsed · (total − done) / done.
 * Null when it cannot be known yet (nothing done, unknown or zero total, no time elapsed).
 *
 * @example
 * estimateEtaMs(25, 100, 2000) // 6000
 * estimateEtaMs(0, 100, 2000)  // null
 */
export function estimateEtaMs(done: number, total: number | null | undefined, elapsedMs: number): number | null {
  if (total == null || !Number.isFinite(total) || total <= 0)
    return null
  if (!Number.isFinite(done) || done <= 0 || !Number.isFinite(elapsedMs) || elapsedMs <= 0)
    return null
  if (done >= total)
    return 0
  return (elapsedMs * (total - done)) / done
}
