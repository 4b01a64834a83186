import type { GradientFn, RunControl, ScalarForward } from '../core/types'
import type { GradientResult } from './common'
/**
 * Captum's GradientShap = NoiseTunnel(smoothgrad) over InputBaselineXGradient with
 * baselines drawn from a distribution. Per sample s: pick a baseline row b_s, add
 * N(0, stdevs) noise to x (never to the baseline), draw α_s ~ U(0, 1), then
 * attr_s = (x̃_s − b_s) ⊙ ∇f(α_s x̃_s + (1 − α_s) b_s); the result is the mean over
 * samples, with one delta per sample Σattr_s − (f(x̃_s) − f(b_s)).
 * Draw order follows Captum: all baseline indices, then all noise, then all alphas.
 */
import { batchSizeOption, inChunks } from '../core/batching'
import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'
import { checkGradients, checkInput, outputsAt, positiveInt, sum } from './common'

export interface GradientShapOptions {
  /** [nDims] the input x. */
  inputs: Float64Array
  /** The baseline distribution: [nBaselines][nDims] rows (e.g. zeros and a random row). */
  baselines: Float64Array[]
  /** Samples (Captum default 5; the course uses 20). */
  nSamples?: number
  /** Std of the Gaussian noise added to x (Captum default 0). */
  stdevs?: number
  seed?: number
  /** Rows per gradient call (default: all samples at once). */
  internalBatchSize?: number
  /** Pre-drawn randomness (e.g. Captum's recorded draws); each part overrides the RNG. */
  draws?: { baselineIndex?: number[], alphas?: number[], noise?: Float64Array[] }
}

/**
 * GradientShap.
 *
 * @example
 * // linear f: attr = mean_s (x − b_s) ⊙ w
 * const r = await new GradientShap(grad).attribute({ inputs: x, baselines: [zeros, other], nSamples: 20, seed: 1 })
 */
export class GradientShap {
  constructor(private readonly gradient: GradientFn, private readonly forward?: ScalarForward) {}

  async attribute(opts: GradientShapOptions, control?: RunControl): Promise<GradientResult> {
    const x = opts.inputs
    checkInput(x)
    const n = x.length
    const B = opts.baselines
    if (!B || B.length === 0)
      throw new AttributionError('bad-request', 'GradientShap needs at least one baseline row.')
    for (const b of B) {
      if (b.length !== n)
        throw new AttributionError('bad-request', `A baseline has ${b.length} entries, the input ${n}.`)
    }
    const nSamples = positiveInt(opts.draws?.alphas?.length ?? opts.nSamples, 5, 'nSamples')
    const stdevs = opts.stdevs ?? 0
    if (!(stdevs >= 0))
      throw new AttributionError('bad-request', `stdevs must be ≥ 0 (got ${stdevs}).`)
    const rng = new Rng(opts.seed ?? 0)
    const idx = opts.draws?.baselineIndex ?? Array.from({ length: nSamples }, () => rng.randint(B.length))
    const noise = opts.draws?.noise ?? Array.from({ length: nSamples }, () => {
      const z = new Float64Array(n)
      if (stdevs > 0) {
        for (let e = 0; e < n; e++) z[e] = rng.normal(0, stdevs)
      }
      return z
    })
    const alphas = opts.draws?.alphas ?? Array.from({ length: nSamples }, () => Math.fround(rng.uniform()))
    if (idx.length !== nSamples || noise.length !== nSamples || alphas.length !== nSamples)
      throw new AttributionError('bad-request', 'GradientShap draws have inconsistent lengths.')
    const xs = noise.map(z => x.map((v, e) => v + z[e]!)) // [nSamples][nDims] noisy inputs
    const bs = idx.map((i) => {
      const b = B[i]
      if (!b)
        throw new AttributionError('bad-request', `Baseline index ${i} is out of range.`)
      return b
    })
    const points = xs.map((xi, s) => {
      const a = alphas[s]!
      return xi.map((v, e) => a * v + (1 - a) * bs[s]![e]!)
    })
    const batch = batchSizeOption(opts.internalBatchSize, nSamples, 'internalBatchSize')
    let calls = 0
    const grads = await inChunks(points, batch, async (chunk) => {
      const res = await this.gradient(chunk)
      calls++
      checkGradients(res, chunk.length, n)
      return res.grads
    }, control, 'GradientShap', { offset: 0, total: nSamples * 3 })
    const fx = await outputsAt(xs, this.gradient, this.forward)
    const fb = await outputsAt(bs, this.gradient, this.forward)
    calls += 2
    const attributions = new Float64Array(n)
    const deltas: number[] = []
    for (let s = 0; s < nSamples; s++) {
      const a = xs[s]!.map((v, e) => (v - bs[s]![e]!) * grads[s]![e]!)
      deltas.push(sum(a) - (fx[s]! - fb[s]!))
      for (let e = 0; e < n; e++) attributions[e]! += a[e]!
    }
    for (let e = 0; e < n; e++) attributions[e] = attributions[e]! / nSamples
    control?.onProgress?.({ done: nSamples * 3, total: nSamples * 3, phase: 'GradientShap' })
    return { attributions, deltas, evaluations: nSamples * 3, forwardCalls: calls }
  }
}
