import type { IntegrationMethod } from '../core/quadrature'
import type { RunControl } from '../core/types'
/**
 * Captum's LayerIntegratedGradients, at an intermediate tensor (e.g. GPT-2's token
 * embedding output): IG where the path runs between the layer's activation for the
 * baseline (x′) and for the input (x):
 *   attr[pos] = Σ_{e ∈ pos} (x − x′)_e · Σ_i w_i ∂F/∂x_e (x′ + α_i (x − x′)).
 *
 * Several independent paths can be attributed in one run: Captum's
 * LLMGradientAttribution runs one IG per target token k (F_k = log p(target_k | prompt +
 * target[:k]), with an activation of its own length). All paths' alpha rows are handed
 * to one batched `LayerGradientFn` (path-major, alpha-minor), chunked by
 * `internalBatchSize`, so an adapter can fold every target token into one call.
 */
import { batchSizeOption, inChunks } from '../core/batching'
import { AttributionError } from '../core/errors'
import { approximationParameters } from '../core/quadrature'
import { positiveInt } from './common'
import { weightedGradSum } from './integrated-gradients'

/** One IG path at the layer. */
export interface LayerPath {
  /** [nPositions × dim], flattened position-major: the layer activation for the input. */
  input: Float64Array
  /** Same shape: the layer activation for the baseline. */
  baseline: Float64Array
  /** Width of one position (e.g. n_embd). */
  dim: number
}

/**
 * Batched gradient at the layer: `rows[r]` is an activation of path `pathIndex[r]`
 * (same shape as that path's input); returns F_path(row) and ∂F_path/∂row per row.
 */
export type LayerGradientFn = (rows: Float64Array[], pathIndex: number[]) => Promise<{ outputs: number[], grads: Float64Array[] }>

export interface LayerIntegratedGradientsOptions {
  paths: LayerPath[]
  /** Captum default 50 (the LLM reference uses 25). */
  nSteps?: number
  method?: IntegrationMethod
  /** Rows per gradient call; default: every row of every path in one call. */
  internalBatchSize?: number
}

export interface LayerIntegratedGradientsResult {
  /** [nPaths][nPositions_p]: attribution per position (summed over the layer width). */
  attributions: number[][]
  /** [nPaths][nPositions_p × dim]: attribution per activation element. */
  elementAttributions: Float64Array[]
  /** [nPaths][nSteps]: F at each path point (for diagnostics). */
  pathOutputs: number[][]
  evaluations: number
  forwardCalls: number
}

/**
 * LayerIntegratedGradients.
 *
 * @example
 * const lig = new LayerIntegratedGradients(layerGrad)
 * const r = await lig.attribute({ paths: [{ input: emb, baseline: embBase, dim: 32 }], nSteps: 25 })
 * r.attributions[0] // per prompt position
 */
export class LayerIntegratedGradients {
  constructor(private readonly gradient: LayerGradientFn) {}

  async attribute(opts: LayerIntegratedGradientsOptions, control?: RunControl): Promise<LayerIntegratedGradientsResult> {
    const paths = opts.paths
    if (!paths || paths.length === 0)
      throw new AttributionError('empty-input', 'LayerIntegratedGradients needs at least one path.')
    for (const p of paths) {
      if (p.input.length === 0 || p.input.length !== p.baseline.length || !Number.isInteger(p.dim) || p.dim < 1 || p.input.length % p.dim !== 0)
        throw new AttributionError('bad-request', 'A layer path has mismatched input/baseline lengths or a bad width.')
    }
    const nSteps = positiveInt(opts.nSteps, 50, 'nSteps')
    const { alphas, weights } = approximationParameters(opts.method ?? 'gausslegendre', nSteps)
    const nRows = paths.length * nSteps
    const batch = batchSizeOption(opts.internalBatchSize, nRows, 'internalBatchSize')
    const diffs = paths.map(p => p.input.map((v, e) => v - p.baseline[e]!))
    // Path-major, alpha-minor row list; built lazily per chunk to bound memory.
    const rowIds = Array.from({ length: nRows }, (_, r) => r)
    let calls = 0
    const results = await inChunks(rowIds, batch, async (chunk) => {
      const rows = chunk.map((r) => {
        const p = Math.floor(r / nSteps)
        const a = alphas[r % nSteps]!
        const b = paths[p]!.baseline
        const d = diffs[p]!
        return b.map((v, e) => v + a * d[e]!)
      })
      const pathIndex = chunk.map(r => Math.floor(r / nSteps))
      const res = await this.gradient(rows, pathIndex)
      calls++
      if (res.grads.length !== rows.length || res.outputs.length !== rows.length)
        throw new AttributionError('backend', `The layer gradient returned ${res.grads.length} rows for ${rows.length} inputs.`)
      return res.grads.map((g, i) => {
        if (g.length !== rows[i]!.length || g.some(v => !Number.isFinite(v)) || !Number.isFinite(res.outputs[i]!))
          throw new AttributionError('backend', 'The layer gradient is missing or non-finite.')
        return { g, f: res.outputs[i]! }
      })
    }, control, 'LayerIntegratedGradients')
    const attributions: number[][] = []
    const elementAttributions: Float64Array[] = []
    const pathOutputs: number[][] = []
    paths.forEach((p, pi) => {
      const rs = results.slice(pi * nSteps, (pi + 1) * nSteps)
      const total = weightedGradSum(rs.map(r => r.g), weights)
      const el = diffs[pi]!.map((d, e) => d * total[e]!)
      const nPos = p.input.length / p.dim
      const perPos = Array.from({ length: nPos }, (_, q) => {
        let s = 0
        for (let e = q * p.dim; e < (q + 1) * p.dim; e++) s += el[e]!
        return s
      })
      attributions.push(perPos)
      elementAttributions.push(el)
      pathOutputs.push(rs.map(r => r.f))
    })
    return { attributions, elementAttributions, pathOutputs, evaluations: nRows, forwardCalls: calls }
  }
}
