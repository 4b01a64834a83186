/**
 * What the IG explorable shows at one slider position, read from the path the engine
 * computed once (`IgPath`, engine/bow/ig-path.ts). Pure: the slider only re-reads arrays.
 */
import type { IgPath } from '../../engine/bow/ig-path'

export interface IgPathPoint {
  /** Number of the rule's points; the slider runs 0..n. */
  n: number
  /** Slider position, clamped to 0..n (0: the baseline, nothing summed yet). */
  k: number
  /** α of the k-th point (0 at k = 0). */
  alpha: number
  /** F(x_α); F(x′) at k = 0. */
  output: number
  /** [word] ∂F/∂x at x_α; null at k = 0 (no point evaluated yet). */
  grads: number[] | null
  /** [word] Σ over the first k points of (x − x′)·w·∂F/∂x; IG's attribution at k = n. */
  running: number[]
  /** Σ of `running` over the words. */
  sum: number
  /** F(x_α) − F(x′). */
  change: number
  /** F(x) − F(x′): what the running sum reaches at k = n (completeness). */
  total: number
}

/**
 * The explorable's state at slider position `k` over `nWords` present words.
 *
 * @example
 * const p = igPathAt(path, 3, path.alphas.length)
 * p.running // = IG's scores; p.sum ≈ p.total
 */
export function igPathAt(path: IgPath, nWords: number, k: number): IgPathPoint {
  const n = path.alphas.length
  const at = Math.max(0, Math.min(n, Math.round(Number.isFinite(k) ? k : n)))
  const output = at === 0 ? path.baselineOutput : path.outputs[at - 1]!
  const running = at === 0 ? Array.from({ length: nWords }, () => 0) : path.running[at - 1]!
  return {
    n,
    k: at,
    alpha: at === 0 ? 0 : path.alphas[at - 1]!,
    output,
    grads: at === 0 ? null : path.grads[at - 1]!,
    running,
    sum: running.reduce((a, b) => a + b, 0),
    change: output - path.baselineOutput,
    total: path.inputOutput - path.baselineOutput,
  }
}

/**
 * SVG path data of F(x_α) over α ∈ [0, 1] (baseline, the rule's points, the input), in a
 * `width` × `height` box, the output's range stretched to the box's height.
 *
 * @example
 * pathCurve(path, 220, 60) // 'M0.0,60.0 L2.1,59.8 … L220.0,0.0'
 */
export function pathCurve(path: IgPath, width: number, height: number): string {
  const points = [[0, path.baselineOutput], ...path.alphas.map((a, s) => [a, path.outputs[s]!]), [1, path.inputOutput]] as Array<[number, number]>
  const lo = Math.min(...points.map(p => p[1]))
  const hi = Math.max(...points.map(p => p[1]))
  const y = (v: number) => height - ((v - lo) / (hi - lo || 1)) * height
  return points.map(([a, v], i) => `${i ? 'L' : 'M'}${(a * width).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
}
