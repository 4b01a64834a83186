import type { RunControl } from '../core/types'
/**
 * The shared base of Captum's layer gradient methods (LayerIntegratedGradients,
 * LayerGradientXActivation, LayerGradientShap), as the perturbation methods share a
 * batched forward: a method plans rows (which path, where on it, with what weight), one
 * path-batched gradient function evaluates them in chunks, and the base sums
 * weight · ∂F/∂activation per path, then multiplies by the method's factor (the
 * activation, or its difference from the baseline) and sums over the layer width:
 *   attr[path][pos] = Σ_{e ∈ pos} factor_e · Σ_rows weight · ∂F/∂a_e (a′ + α (a − a′)).
 *
 * A path is one independent attribution at the layer (Captum's LLMGradientAttribution
 * runs one per target token); all paths' rows share the passes.
 */
import { batchSizeOption, inChunks } from '../core/batching'
import { AttributionError } from '../core/errors'

/** One path at the layer: the activation for the input and for the baseline, [nPositions × dim] each. */
export interface LayerPath {
  input: Float32Array
  baseline: Float32Array
  /** Width of one position (e.g. n_embd). */
  dim: number
}

/** One gradient row: its path, its point a′ + alpha·(a − a′), and its weight in the sum. */
export interface LayerRow {
  path: number
  alpha: number
  weight: number
  /** Only F is read (the convergence delta's endpoints), weight 0. */
  endpoint?: boolean
}

/**
 * Path-batched gradient at the layer: for every row, F at the row's point and
 * ∂F/∂activation there ([nPositions × dim] of its path).
 */
export type LayerGradientFn = (rows: LayerRow[], paths: LayerPath[]) => Promise<{ outputs: ArrayLike<number>, grads: Array<ArrayLike<number>> }>

export interface LayerRowsResult {
  /** Per path, Σ_rows weight · gradient [nPositions × dim], float64. */
  sums: Float64Array[]
  /** Per path, F at alpha 0 and 1 where endpoint rows asked for them. */
  endpoints: Array<{ f0?: number, f1?: number }>
  /** Gradient calls made. */
  passes: number
}

/**
 * Checks the paths and evaluates `rows` in chunks of `internalBatchSize` (default: all in
 * one call), with progress and cancellation between chunks.
 *
 * @example
 * const { sums } = await evaluateLayerRows('LayerGradientXActivation', paths, [{ path: 0, alpha: 1, weight: 1 }], grad)
 */
export async function evaluateLayerRows(methodName: string, paths: LayerPath[], rows: LayerRow[], gradient: LayerGradientFn, internalBatchSize?: number, control?: RunControl): Promise<LayerRowsResult> {
  if (paths.length === 0)
    throw new AttributionError('empty-input', `${methodName} needs at least one path.`)
  for (const p of paths) {
    if (p.input.length === 0 || p.input.length !== p.baseline.length || !Number.isInteger(p.dim) || p.dim < 1 || p.input.length % p.dim !== 0)
      throw new AttributionError('bad-request', 'A layer path has mismatched input/baseline lengths or a bad width.')
  }
  const batch = batchSizeOption(internalBatchSize, rows.length, 'internalBatchSize')
  const sums = paths.map(p => new Float64Array(p.input.length))
  const endpoints: LayerRowsResult['endpoints'] = paths.map(() => ({}))
  let passes = 0
  control?.onProgress?.({ done: 0, total: rows.length, phase: methodName })
  await inChunks(rows, batch, async (chunk) => {
    const { outputs, grads } = await gradient(chunk, paths)
    passes++
    if (grads.length !== chunk.length || outputs.length !== chunk.length)
      throw new AttributionError('backend', `The layer gradient returned ${grads.length} rows for ${chunk.length} inputs.`)
    chunk.forEach((r, i) => {
      const f = outputs[i]
      if (!Number.isFinite(f))
        throw new AttributionError('backend', 'The gradients came back non-finite (NaN or ±∞): the model weights or the backend are broken.')
      if (r.endpoint) {
        endpoints[r.path][r.alpha === 0 ? 'f0' : 'f1'] = f
        return
      }
      const g = grads[i]
      const s = sums[r.path]
      if (g.length !== s.length)
        throw new AttributionError('backend', `The layer gradient has ${g.length} values for a path of ${s.length}.`)
      for (let e = 0; e < s.length; e++) s[e] += r.weight * g[e]
    })
    return chunk
  }, control, methodName)
  return { sums, endpoints, passes }
}

/**
 * Σ over each position's width of factor · sum, where factor is the activation
 * ('input', gradient × activation) or a − a′ in float32 ('delta', IG and GradientShap).
 *
 * @example
 * attributionPerPosition(path, sums[0], 'delta') // [nPositions]
 */
export function attributionPerPosition(path: LayerPath, sum: Float64Array, factor: 'input' | 'delta'): number[] {
  const { input, baseline, dim } = path
  const out: number[] = []
  for (let q = 0; q < input.length / dim; q++) {
    let s = 0
    for (let e = q * dim; e < (q + 1) * dim; e++)
      s += (factor === 'input' ? input[e] : Math.fround(input[e] - baseline[e])) * sum[e]
    out.push(s)
  }
  if (!out.every(Number.isFinite))
    throw new AttributionError('backend', 'The gradients came back non-finite (NaN or ±∞): the model weights or the backend are broken.')
  return out
}

/** A layer method's answer: per path, the attribution of each position. */
export interface LayerAttributionResult {
  attributions: number[][]
  /** LayerIntegratedGradients with `returnConvergenceDelta`: Σ attr − (F(a) − F(a′)) per path. */
  convergenceDelta?: number[]
  passes: number
  rows: number
}
