import type { RunControl } from '../core/types'
import type { GradientInputOptions, GradientResult, InputAttributionMethod } from './common'
/**
 * Captum's NoiseTunnel: runs a wrapped attribution method on `ntSamples` noisy copies
 * x + N(0, stdevs²) (absolute stdev; the baseline is not noised) and aggregates:
 * smoothgrad = mean, smoothgrad_sq = mean of squares, vargrad = E[a²] − E[a]².
 * Deltas (when the wrapped method gives one) are per noisy sample.
 */
import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'
import { checkInput, positiveInt } from './common'

export type NoiseTunnelType = 'smoothgrad' | 'smoothgrad_sq' | 'vargrad'

export interface NoiseTunnelOptions<O extends GradientInputOptions> {
  /** The options of the wrapped method (its `inputs` is the clean x). */
  methodOptions: O
  /** Captum default 'smoothgrad'. */
  ntType?: NoiseTunnelType
  /** Captum default 5. */
  ntSamples?: number
  /** Absolute noise std (Captum default 1.0). */
  stdevs?: number
  seed?: number
  /** Pre-drawn noise rows [ntSamples][nDims] (e.g. Captum's recorded draws). */
  noise?: Float64Array[]
}

/**
 * NoiseTunnel around any method whose `attribute` takes `inputs`.
 *
 * @example
 * const nt = new NoiseTunnel(new IntegratedGradients(grad))
 * const r = await nt.attribute({ methodOptions: { inputs: x, nSteps: 50 }, ntType: 'smoothgrad', ntSamples: 10, stdevs: 0.1, seed: 1 })
 */
export class NoiseTunnel<O extends GradientInputOptions> {
  constructor(private readonly method: InputAttributionMethod<O>) {}

  async attribute(opts: NoiseTunnelOptions<O>, control?: RunControl): Promise<GradientResult> {
    const x = opts.methodOptions.inputs
    checkInput(x)
    const n = x.length
    const ntType = opts.ntType ?? 'smoothgrad'
    if (!['smoothgrad', 'smoothgrad_sq', 'vargrad'].includes(ntType))
      throw new AttributionError('bad-request', `Unknown NoiseTunnel type "${ntType}".`)
    const stdevs = opts.stdevs ?? 1
    if (!(stdevs >= 0))
      throw new AttributionError('bad-request', `stdevs must be ≥ 0 (got ${stdevs}).`)
    let noise: Float64Array[]
    if (opts.noise) {
      noise = opts.noise
      if (noise.some(z => z.length !== n))
        throw new AttributionError('bad-request', 'A noise row does not match the input length.')
    }
    else {
      const nt = positiveInt(opts.ntSamples, 5, 'ntSamples')
      const rng = new Rng(opts.seed ?? 0)
      noise = Array.from({ length: nt }, () => {
        const z = new Float64Array(n)
        for (let e = 0; e < n; e++) z[e] = rng.normal(0, stdevs)
        return z
      })
    }
    const nt = noise.length
    if (nt === 0)
      throw new AttributionError('bad-request', 'ntSamples must be at least 1.')
    const s1 = new Float64Array(n)
    const s2 = new Float64Array(n)
    const deltas: number[] = []
    let evaluations = 0
    let forwardCalls = 0
    for (let s = 0; s < nt; s++) {
      const noisy = x.map((v, e) => v + noise[s]![e]!)
      // Map the wrapped run's progress into this run's: sample s of nt.
      const inner: RunControl = {
        signal: control?.signal,
        onProgress: control?.onProgress
          ? p => control.onProgress!({ done: s * p.total + p.done, total: nt * p.total, phase: 'NoiseTunnel' })
          : undefined,
      }
      const r = await this.method.attribute({ ...opts.methodOptions, inputs: noisy }, inner)
      evaluations += r.evaluations
      forwardCalls += r.forwardCalls
      if (r.delta !== undefined)
        deltas.push(r.delta)
      if (r.deltas)
        deltas.push(...r.deltas)
      for (let e = 0; e < n; e++) {
        const a = r.attributions[e]!
        s1[e]! += a
        s2[e]! += a * a
      }
    }
    const attributions = new Float64Array(n)
    for (let e = 0; e < n; e++) {
      const m1 = s1[e]! / nt
      const m2 = s2[e]! / nt
      attributions[e] = ntType === 'smoothgrad' ? m1 : ntType === 'smoothgrad_sq' ? m2 : m2 - m1 * m1
    }
    return { attributions, deltas: deltas.length ? deltas : undefined, evaluations, forwardCalls }
  }
}
