import type { GradientFn, ScalarForward } from '../../../engine/core/types'
import type { DeepLiftModel, LayerGradientFn } from '../../../engine/methods'
import { describe, expect, it } from 'vitest'
import {
  DeepLift,
  gradientAtInputDeepLiftModel,
  GradientShap,
  InputXGradient,
  IntegratedGradients,
  LayerGradientShap,
  LayerGradientXActivation,
  LayerIntegratedGradients,
  NoiseTunnel,
  Saliency,
} from '../../../engine/methods'
import { maxAbsDiff } from './helpers'

const w = Float64Array.of(0.5, -2, 1.5, 0, 3)
const x = Float64Array.of(1, 0.5, -2, 4, 0)
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function counted(fn: GradientFn): GradientFn & { rows: number, calls: number } {
  const g = (async (xs: Float64Array[]) => {
    g.rows += xs.length
    g.calls++
    return fn(xs)
  }) as GradientFn & { rows: number, calls: number }
  g.rows = 0
  g.calls = 0
  return g
}
const linearGrad = () => counted(async xs => ({ outputs: xs.map(v => dot(w, v) + 0.25), grads: xs.map(() => Float64Array.from(w)) }))

// f(x) = xᵀAx (A symmetric) ⇒ ∇f = 2Ax, and IG from 0 is exactly x ⊙ Ax.
const A = [[2, 1, 0, 0, 0], [1, -1, 0.5, 0, 0], [0, 0.5, 1, 0, 0.3], [0, 0, 0, 0.2, 0], [0, 0, 0.3, 0, -0.4]]
const Ax = (v: ArrayLike<number>) => A.map(r => dot(r, v))
const quadGrad = () => counted(async xs => ({ outputs: xs.map(v => dot(v, Ax(v))), grads: xs.map(v => Float64Array.from(Ax(v), t => 2 * t)) }))

const sig = (z: number) => 1 / (1 + Math.exp(-z))
function sigmoidGrad() {
  return counted(async xs => ({ outputs: xs.map(v => sig(dot(w, v))), grads: xs.map((v) => {
    const s = sig(dot(w, v))
    return w.map(wi => wi * s * (1 - s))
  }) }))
}

describe('method IntegratedGradients', () => {
  it('linear model: gausslegendre gives (x − b)·w with delta ≈ 0', async () => {
    const b = Float64Array.of(0.5, 0, 0, 1, -1)
    const r = await new IntegratedGradients(linearGrad()).attribute({ inputs: x, baselines: b })
    expect(maxAbsDiff(r.attributions, x.map((v, i) => (v - b[i]!) * w[i]!))).toBeLessThan(1e-7)
    expect(Math.abs(r.delta!)).toBeLessThan(1e-6)
  })

  it('riemann_trapezoid reproduces Captum\'s Σw = (n−1)/n underestimate and its delta', async () => {
    const r = await new IntegratedGradients(linearGrad()).attribute({ inputs: x, method: 'riemann_trapezoid', nSteps: 50 })
    const exact = x.map((v, i) => v * w[i]!)
    const total = exact.reduce((a, b) => a + b, 0)
    expect(maxAbsDiff(r.attributions, exact.map(v => 0.98 * v))).toBeLessThan(1e-7)
    expect(r.delta!).toBeCloseTo(-0.02 * total, 6)
    for (const method of ['riemann_left', 'riemann_right', 'riemann_middle'] as const) {
      const q = await new IntegratedGradients(linearGrad()).attribute({ inputs: x, method, nSteps: 10 })
      expect(maxAbsDiff(q.attributions, exact)).toBeLessThan(1e-6)
    }
  })

  it('quadratic model: exact x ⊙ Ax with 2 Gauss–Legendre points; internalBatchSize does not change a bit', async () => {
    const exact = x.map((v, i) => v * Ax(x)[i]!)
    const r2 = await new IntegratedGradients(quadGrad()).attribute({ inputs: x, nSteps: 2 })
    expect(maxAbsDiff(r2.attributions, exact)).toBeLessThan(1e-6) // weights are float32-cast, as Captum's
    const g1 = quadGrad()
    const a = await new IntegratedGradients(g1).attribute({ inputs: x, nSteps: 50, internalBatchSize: 1 })
    const b = await new IntegratedGradients(quadGrad()).attribute({ inputs: x, nSteps: 50, internalBatchSize: 7 })
    const c = await new IntegratedGradients(quadGrad()).attribute({ inputs: x, nSteps: 50 })
    expect(b.attributions).toEqual(a.attributions)
    expect(c.attributions).toEqual(a.attributions)
    expect(g1.calls).toBe(51) // 50 single-row gradient calls + one call for f(x), f(b)
    expect(Math.abs(c.delta!)).toBeLessThan(1e-6)
  })

  it('sigmoid model: completeness within the delta; progress and cancel', async () => {
    let last = { done: 0, total: 0 }
    const r = await new IntegratedGradients(sigmoidGrad()).attribute({ inputs: x, nSteps: 50, internalBatchSize: 10 }, { onProgress: p => (last = p) })
    const total = r.attributions.reduce((s, v) => s + v, 0)
    expect(total - (sig(dot(w, x)) - 0.5)).toBeCloseTo(r.delta!, 12)
    expect(Math.abs(r.delta!)).toBeLessThan(1e-6)
    expect(last.done).toBe(last.total)
    const ctl = new AbortController()
    const g = counted(async (xs) => {
      ctl.abort()
      return sigmoidGrad()(xs)
    })
    await expect(new IntegratedGradients(g).attribute({ inputs: x, internalBatchSize: 5 }, { signal: ctl.signal })).rejects.toMatchObject({ code: 'cancelled' })
    expect(g.calls).toBe(1)
  })

  it('a forward for the delta avoids extra gradient rows; errors are AttributionErrors', async () => {
    const g = linearGrad()
    const fwd: ScalarForward = async xs => xs.map(v => dot(w, v) + 0.25)
    await new IntegratedGradients(g, fwd).attribute({ inputs: x, nSteps: 8 })
    expect(g.rows).toBe(8)
    await expect(new IntegratedGradients(linearGrad()).attribute({ inputs: x, nSteps: 0 })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(new IntegratedGradients(counted(async xs => ({ outputs: xs.map(() => Number.NaN), grads: xs.map(v => v) }))).attribute({ inputs: x })).rejects.toMatchObject({ code: 'backend' })
  })
})

describe('methods Saliency, InputXGradient, DeepLift', () => {
  it('method Saliency = |∇f(x)| by default (dense), signed with abs: false', async () => {
    const r = await new Saliency(linearGrad()).attribute({ inputs: x })
    expect([...r.attributions]).toEqual([...w].map(Math.abs))
    expect([...(await new Saliency(linearGrad()).attribute({ inputs: x, abs: false })).attributions]).toEqual([...w])
  })

  it('method InputXGradient = x ⊙ ∇f(x) (0 where x is 0)', async () => {
    const r = await new InputXGradient(quadGrad()).attribute({ inputs: x })
    const g = Ax(x).map(t => 2 * t)
    expect([...r.attributions]).toEqual([...x].map((v, i) => v * g[i]!))
    expect(r.attributions[4] === 0).toBe(true)
  })

  it('on functional activations Captum\'s DeepLift ≡ InputXGradient (b = 0), with its non-zero delta', async () => {
    const dl = await new DeepLift(gradientAtInputDeepLiftModel(sigmoidGrad())).attribute({ inputs: x })
    const ixg = await new InputXGradient(sigmoidGrad()).attribute({ inputs: x })
    expect(dl.attributions).toEqual(ixg.attributions)
    const total = dl.attributions.reduce((s, v) => s + v, 0)
    expect(dl.delta!).toBeCloseTo(total - (sig(dot(w, x)) - 0.5), 14)
    expect(Math.abs(dl.delta!)).toBeGreaterThan(1e-3)
  })

  it('a rescale-rule DeepLiftModel (σ(w·x)) sums exactly to f(x) − f(b)', async () => {
    const model: DeepLiftModel = {
      async multipliers(xi, b) {
        const zx = dot(w, xi)
        const zb = dot(w, b)
        const m = Math.abs(zx - zb) < 1e-10 ? sig(zx) * (1 - sig(zx)) : (sig(zx) - sig(zb)) / (zx - zb)
        return w.map(wi => wi * m)
      },
      forward: async xs => xs.map(v => sig(dot(w, v))),
    }
    const b = Float64Array.of(0.1, 0.2, 0, 0, 0)
    const r = await new DeepLift(model).attribute({ inputs: x, baselines: b, variant: 'rescale' })
    expect(Math.abs(r.delta!)).toBeLessThan(1e-15)
  })
})

describe('method GradientShap', () => {
  const B = [new Float64Array(5), Float64Array.of(0.01, 0.02, 0.03, 0.04, 0.05)]

  it('linear model: mean_s (x − b_s)·w for any draws, deltas 0; seeded runs repeat', async () => {
    const r = await new GradientShap(linearGrad()).attribute({ inputs: x, baselines: B, nSamples: 20, seed: 3 })
    const again = await new GradientShap(linearGrad()).attribute({ inputs: x, baselines: B, nSamples: 20, seed: 3 })
    expect(again.attributions).toEqual(r.attributions)
    expect(r.deltas).toHaveLength(20)
    for (const d of r.deltas!) expect(Math.abs(d)).toBeLessThan(1e-12)
    const idx = [1, 1, 0, 0, 1]
    const inj = await new GradientShap(linearGrad()).attribute({ inputs: x, baselines: B, draws: { baselineIndex: idx, alphas: [0.3, 0.9, 0.1, 0.5, 0.7] } })
    const mb = x.map((_, e) => idx.reduce((s, i) => s + B[i]![e]!, 0) / idx.length)
    expect(maxAbsDiff(inj.attributions, x.map((v, e) => (v - mb[e]!) * w[e]!))).toBeLessThan(1e-12)
  })

  it('quadratic model with injected draws: attr_s = (x − b)·∇f(b + α(x − b)), averaged', async () => {
    const alphas = [0.25, 0.75]
    const r = await new GradientShap(quadGrad()).attribute({ inputs: x, baselines: B, draws: { baselineIndex: [1, 0], alphas } })
    const exp = new Float64Array(5)
    ;[[1, 0.25], [0, 0.75]].forEach(([i, a]) => {
      const b = B[i!]!
      const p = x.map((v, e) => a! * v + (1 - a!) * b[e]!)
      const g = Ax(p).map(t => 2 * t)
      for (let e = 0; e < 5; e++) exp[e]! += (x[e]! - b[e]!) * g[e]! / 2
    })
    expect(maxAbsDiff(r.attributions, exp)).toBeLessThan(1e-12)
  })
})

describe('method NoiseTunnel', () => {
  const noise = [Float64Array.of(0.1, -0.2, 0, 0.3, 0.05), Float64Array.of(-0.1, 0.1, 0.2, -0.3, 0.15), Float64Array.of(0, 0.4, -0.1, 0, -0.2)]
  const per = noise.map(z => x.map((v, e) => (v + z[e]!) * w[e]!)) // IG of a linear model at x + z (baseline 0, not noised)

  it('smoothgrad / smoothgrad_sq / vargrad over IG on injected noise', async () => {
    const nt = new NoiseTunnel(new IntegratedGradients(linearGrad()))
    const mean = x.map((_, e) => per.reduce((s, a) => s + a[e]!, 0) / 3)
    const sq = x.map((_, e) => per.reduce((s, a) => s + a[e]! ** 2, 0) / 3)
    const sg = await nt.attribute({ methodOptions: { inputs: x, nSteps: 10 }, noise })
    expect(maxAbsDiff(sg.attributions, mean)).toBeLessThan(1e-7)
    expect(sg.deltas).toHaveLength(3)
    const sg2 = await nt.attribute({ methodOptions: { inputs: x, nSteps: 10 }, noise, ntType: 'smoothgrad_sq' })
    expect(maxAbsDiff(sg2.attributions, sq)).toBeLessThan(1e-6)
    const vg = await nt.attribute({ methodOptions: { inputs: x, nSteps: 10 }, noise, ntType: 'vargrad' })
    expect(maxAbsDiff(vg.attributions, sq.map((v, e) => v - mean[e]! ** 2))).toBeLessThan(1e-6)
  })

  it('stdevs 0 reproduces the wrapped method; seeded noise repeats; progress reaches total', async () => {
    const ig = await new IntegratedGradients(sigmoidGrad()).attribute({ inputs: x })
    const nt0 = await new NoiseTunnel(new IntegratedGradients(sigmoidGrad())).attribute({ methodOptions: { inputs: x }, stdevs: 0, ntSamples: 2 })
    expect(nt0.attributions).toEqual(ig.attributions)
    let last = { done: 0, total: 0 }
    const a = await new NoiseTunnel(new Saliency(sigmoidGrad())).attribute({ methodOptions: { inputs: x }, stdevs: 0.5, ntSamples: 4, seed: 2 }, { onProgress: p => (last = p) })
    const b = await new NoiseTunnel(new Saliency(sigmoidGrad())).attribute({ methodOptions: { inputs: x }, stdevs: 0.5, ntSamples: 4, seed: 2 })
    expect(a.attributions).toEqual(b.attributions)
    const clean = await new Saliency(sigmoidGrad()).attribute({ inputs: x })
    expect(maxAbsDiff(a.attributions, clean.attributions)).toBeGreaterThan(1e-4)
    expect(last).toMatchObject({ done: 4, total: 4 })
  })
})

describe('the layer methods (LayerIntegratedGradients, LayerGradientXActivation, LayerGradientShap)', () => {
  // F(h) = Σ_positions hᵀAh on a layer of 5-wide positions; the method gives each row's
  // path and alpha, the point is a′ + α (a − a′), as an LLM adapter builds it.
  const seen: number[][] = []
  const layerQuad: LayerGradientFn = async (rows, paths) => {
    seen.push(rows.map(r => r.path))
    const points = rows.map(({ path, alpha }) => {
      const { input, baseline } = paths[path]!
      return Float64Array.from(input, (v, e) => baseline[e]! + alpha * (v - baseline[e]!))
    })
    return {
      outputs: points.map((h) => {
        let f = 0
        for (let q = 0; q < h.length / 5; q++) f += dot(h.subarray(5 * q, 5 * q + 5), Ax(h.subarray(5 * q, 5 * q + 5)))
        return f
      }),
      grads: points.map((h) => {
        const g = new Float64Array(h.length)
        for (let q = 0; q < h.length / 5; q++) Ax(h.subarray(5 * q, 5 * q + 5)).forEach((t, e) => (g[5 * q + e] = 2 * t))
        return g
      }),
    }
  }
  const f32 = (a: ArrayLike<number>) => Float32Array.from(a)
  const x32 = f32(x)
  const base = f32([0.2, 0, -0.1, 0, 0.3])
  const F = (h: ArrayLike<number>) => dot(Float64Array.from(h), Ax(Float64Array.from(h)))

  it('layerIntegratedGradients equals IG on the activation, summed per position, and is complete', async () => {
    const ig = await new IntegratedGradients(quadGrad()).attribute({ inputs: Float64Array.from(x32), baselines: Float64Array.from(base), nSteps: 25 })
    const lig = await new LayerIntegratedGradients(layerQuad).attribute([{ input: x32, baseline: base, dim: 5 }], { nSteps: 25, returnConvergenceDelta: true })
    expect(lig.attributions[0]![0]).toBeCloseTo(ig.attributions.reduce((s, v) => s + v, 0), 6)
    // Gauss–Legendre with 25 points integrates the linear gradient of a quadratic exactly.
    expect(Math.abs(lig.convergenceDelta![0]!)).toBeLessThan(1e-6)
    expect(lig.attributions[0]![0]).toBeCloseTo(F(x32) - F(base), 6)
    // Two positions: per-position sums.
    const two = await new LayerIntegratedGradients(layerQuad).attribute([{ input: f32([...x32, ...base]), baseline: new Float32Array(10), dim: 5 }], { nSteps: 25 })
    expect(two.attributions[0]).toHaveLength(2)
    expect(two.attributions[0]![0]).toBeCloseTo(F(x32), 5)
    expect(two.attributions[0]![1]).toBeCloseTo(F(base), 5)
  })

  it('folds several paths (target tokens) into batched calls without changing a bit', async () => {
    const paths = [
      { input: x32, baseline: new Float32Array(5), dim: 5 },
      { input: f32([...x32, ...x32]), baseline: f32([...new Float32Array(5), ...x32]), dim: 5 },
    ]
    seen.length = 0
    const all = await new LayerIntegratedGradients(layerQuad).attribute(paths, { nSteps: 25 })
    // Step-major: both paths' rows at each alpha side by side (a caller whose paths share
    // their points can share a forward per step), in one call.
    expect(seen).toEqual([Array.from({ length: 50 }, (_, i) => i % 2)])
    const progress: number[] = []
    const chunked = await new LayerIntegratedGradients(layerQuad).attribute(paths, { nSteps: 25, internalBatchSize: 7 }, { onProgress: p => progress.push(p.done) })
    expect(chunked.attributions).toEqual(all.attributions)
    expect(chunked.passes).toBe(Math.ceil(50 / 7))
    expect(progress[0]).toBe(0)
    expect(progress.at(-1)).toBe(50)
    const single = await new LayerIntegratedGradients(layerQuad).attribute([paths[1]!], { nSteps: 25 })
    expect(single.attributions[0]).toEqual(all.attributions[1])
    // Positions where input = baseline get exactly 0 (Captum's target positions).
    expect(all.attributions[1]![1]).toBe(0)
  })

  it('layerGradientXActivation is Σ a·∂F/∂a: 2·F(a) per position for a quadratic form, one row per path', async () => {
    seen.length = 0
    const res = await new LayerGradientXActivation(layerQuad).attribute([{ input: x32, baseline: x32, dim: 5 }, { input: base, baseline: base, dim: 5 }])
    expect(seen).toEqual([[0, 1]])
    expect(res.attributions[0]![0]).toBeCloseTo(2 * F(x32), 6)
    expect(res.attributions[1]![0]).toBeCloseTo(2 * F(base), 6)
  })

  it('layerGradientShap is seeded, and its mean over random alphas converges to LayerIntegratedGradients', async () => {
    const path = [{ input: x32, baseline: base, dim: 5 }]
    const ig = (await new LayerIntegratedGradients(layerQuad).attribute(path, { nSteps: 25 })).attributions[0]![0]!
    const shap = (nSamples: number, seed: number) => new LayerGradientShap(layerQuad).attribute(path, { nSamples, seed })
    const a = await shap(400, 1)
    expect((await shap(400, 1)).attributions).toEqual(a.attributions)
    expect((await shap(400, 2)).attributions).not.toEqual(a.attributions)
    const err = async (n: number) => Math.abs((await shap(n, 1)).attributions[0]![0]! - ig)
    expect(await err(400)).toBeLessThan(0.05 * Math.abs(ig))
    expect(await err(400)).toBeLessThan(await err(2))
    await expect(new LayerGradientShap(layerQuad).attribute(path, { stdevs: 0.1 })).rejects.toMatchObject({ code: 'unsupported' })
  })
})
