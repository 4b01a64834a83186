import type { EmbeddingGradientModel, TokenInputLike } from '../../../engine/llm/gradient-attribution'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { estimateGradientBytes, LLMGradientAttribution, runLlmGradientRequest } from '../../../engine/llm/gradient-attribution'
import { Gpt2Session } from '../../../engine/models/gpt2-session'
import { nodeFiles } from '../../../engine/node-files'
import { haveShared } from '../../shared-reference'
import { TINY, writeRandomGpt2 } from './random-gpt2'

const HAVE_TINY = haveShared('captum-reference/gpt2-tiny/reference.json')
if (!HAVE_TINY)
  console.warn(`[gpt2] ${TINY} is absent: skipping the Captum LayerIntegratedGradients reference comparison.`)

/** The real model, with its gradient passes counted (not a stand-in: every call goes through). */
function counted(model: Gpt2Session): EmbeddingGradientModel & { calls: number, rows: number, pairs: number } {
  const c = {
    calls: 0,
    rows: 0,
    pairs: 0,
    config: model.config,
    embed: (ids: number[]) => model.embed(ids),
    logProbGrads: (...args: Parameters<Gpt2Session['logProbGrads']>) => {
      c.calls++
      c.rows += args[1]
      c.pairs += args[3].length
      return model.logProbGrads(...args)
    },
  }
  return c
}

/** F_k(ids) = log_softmax(logits[P−1+k])[target_k] of prompt + target[:-1] (the in-graph scorer). */
async function targetLogProbs(model: Gpt2Session, prompt: number[], target: number[]): Promise<number[]> {
  const [lp] = await model.scoreTargets([{ promptIds: prompt, targetIds: target }])
  return Array.from(lp)
}

/** Rows x, x + h·v and x − h·v ([3, x.length]) for a seeded random direction v. */
function centralRows(x: Float32Array, h: number, seed: number): { v: Float32Array, rows: Float32Array } {
  const n = x.length
  const v = Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5)
  const rows = new Float32Array(3 * n)
  rows.set(x, 0)
  for (let i = 0; i < n; i++) {
    rows[n + i] = x[i] + h * v[i]
    rows[2 * n + i] = x[i] - h * v[i]
  }
  return { v, rows }
}

const allFeatures = (ids: number[], baselineId = 0): TokenInputLike => ({ ids, featurePositions: ids.map((_, i) => i), baselineId })

describe('llm gradient attribution on a random GPT-2 (no shared files needed)', () => {
  let rand: ReturnType<typeof writeRandomGpt2>
  let model: Gpt2Session
  const prompt = [5, 17, 29, 3, 44, 12]
  const target = [8, 51, 23]
  beforeAll(async () => {
    rand = writeRandomGpt2()
    model = await Gpt2Session.load(nodeFiles(rand.dir))
  })
  afterAll(async () => {
    await model?.dispose()
    rand?.cleanup()
  })

  it('integrated gradients (LayerIntegratedGradients) is complete per target token: Σ attr_k = F_k(x) − F_k(x′)', async () => {
    const m = counted(model)
    const res = await new LLMGradientAttribution('LayerIntegratedGradients', m).attribute(allFeatures(prompt), target, { nSteps: 64, returnConvergenceDelta: true })
    const fx = await targetLogProbs(model, prompt, target)
    const fb = await targetLogProbs(model, prompt.map(() => 0), target)
    expect(res.tokenAttr).toHaveLength(3)
    // A real change to explain.
    expect(Math.max(...fx.map((f, k) => Math.abs(f - fb[k])))).toBeGreaterThan(0.05)
    res.tokenAttr.forEach((row, k) => {
      const sum = row.reduce((a, b) => a + b, 0)
      const change = fx[k] - fb[k]
      expect(Math.abs(change)).toBeGreaterThan(1e-3)
      expect(sum).toBeCloseTo(change, 4)
      expect(res.convergenceDelta![k]).toBeCloseTo(sum - change, 4)
    })
    // seqAttr is the column sum of tokenAttr.
    res.seqAttr.forEach((v, j) => expect(v).toBeCloseTo(res.tokenAttr.reduce((s, r) => s + r[j], 0), 12))
    // All 3 × (64 + 2) (step, target) pairs went through one batched gradient pass, as
    // 66 sequences (one per alpha), each scored at the 3 target tokens: one forward per step.
    expect(m.calls).toBe(1)
    expect(m.rows).toBe(66)
    expect(m.pairs).toBe(3 * 66)
    // Few steps are visibly less complete than many (the test has teeth).
    const coarse = await new LLMGradientAttribution('LayerIntegratedGradients', m).attribute(allFeatures(prompt), target, { nSteps: 2, method: 'riemann_right', returnConvergenceDelta: true })
    expect(Math.max(...coarse.convergenceDelta!.map(Math.abs))).toBeGreaterThan(1e-3)
  })

  it('gives the same numbers whatever internalBatchSize, in ceil(rows / batch) passes', async () => {
    const m = counted(model)
    const lig = new LLMGradientAttribution('LayerIntegratedGradients', m)
    const all = await lig.attribute(allFeatures(prompt), target, { nSteps: 10 })
    expect(m.calls).toBe(1)
    const progress: number[] = []
    const small = await lig.attribute(allFeatures(prompt), target, { nSteps: 10, internalBatchSize: 7 }, { onProgress: p => progress.push(p.done) })
    expect(small.passes).toBe(Math.ceil(30 / 7))
    // A pass of 7 rows cuts steps of 3: its ends are sent as calls of their own, never as
    // padding, so the model scores exactly one pair per row (30 + 30 in all).
    expect(m.pairs).toBe(60)
    expect(m.calls).toBeLessThanOrEqual(1 + 3 * Math.ceil(30 / 7))
    expect(progress[0]).toBe(0)
    expect(progress.at(-1)).toBe(30)
    small.tokenAttr.forEach((row, k) => row.forEach((v, j) => expect(v).toBeCloseTo(all.tokenAttr[k][j], 6)))
  })

  it('gradient × activation (LayerGradientXActivation) is Σ_e x_e ∂F_k/∂x_e, and LayerGradientShap converges to LayerIG', async () => {
    const gxa = await new LLMGradientAttribution('LayerGradientXActivation', model).attribute(allFeatures(prompt), target)
    // Direct: gradient at x for each k.
    const x = await model.embed([...prompt, ...target.slice(0, -1)])
    const L = prompt.length + target.length - 1
    const E = model.config.nEmbd
    for (let k = 0; k < target.length; k++) {
      const { grads } = await model.logProbGrads(x, 1, L, [prompt.length - 1 + k], [target[k]], prompt.length)
      prompt.forEach((_, p) => {
        let s = 0
        for (let e = 0; e < E; e++) s += x[p * E + e] * grads[p * E + e]
        expect(gxa.tokenAttr[k][p]).toBeCloseTo(s, 6)
      })
    }
    const ig = await new LLMGradientAttribution('LayerIntegratedGradients', model).attribute(allFeatures(prompt), target, { nSteps: 50 })
    const shap = (seed: number, nSamples: number) => new LLMGradientAttribution('LayerGradientShap', model).attribute(allFeatures(prompt), target, { nSamples, seed })
    const a = await shap(1, 150)
    const b = await shap(1, 150)
    const c = await shap(2, 150)
    expect(b.seqAttr).toEqual(a.seqAttr) // seeded
    expect(c.seqAttr).not.toEqual(a.seqAttr)
    const err = (r: { seqAttr: number[] }) => Math.max(...r.seqAttr.map((v, j) => Math.abs(v - ig.seqAttr[j])))
    const scale = Math.max(...ig.seqAttr.map(Math.abs))
    // Monte Carlo over alpha ~ U(0,1): the error shrinks with nSamples.
    expect(err(a)).toBeLessThan(0.15 * scale)
    expect(err(await shap(1, 3))).toBeGreaterThan(err(a))
  })

  it('attrTarget "prob" explains p(target_k): completeness against probability differences', async () => {
    const res = await new LLMGradientAttribution('LayerIntegratedGradients', model).attribute(allFeatures(prompt), target, { nSteps: 64, attrTarget: 'prob' })
    const fx = (await targetLogProbs(model, prompt, target)).map(Math.exp)
    const fb = (await targetLogProbs(model, prompt.map(() => 0), target)).map(Math.exp)
    res.tokenAttr.forEach((row, k) => expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(fx[k] - fb[k], 5))
  })

  it('refuses a prompt over the memory budget with too-long before allocating anything', async () => {
    const m = counted(model)
    const perRow = estimateGradientBytes(model.config, 1, prompt.length + target.length - 1)
    const err = await new LLMGradientAttribution('LayerIntegratedGradients', m)
      .attribute(allFeatures(prompt), target, { memoryBudgetBytes: perRow - 1 })
      .catch(e => e)
    expect(err).toBeInstanceOf(AttributionError)
    expect(err.code).toBe('too-long')
    expect(err.message).toMatch(/budget/)
    expect(m.calls).toBe(0)
    // With exactly one row's worth it runs, one row per pass.
    const ok = await new LLMGradientAttribution('LayerIntegratedGradients', m).attribute(allFeatures(prompt), target, { nSteps: 2, memoryBudgetBytes: perRow })
    expect(ok.passes).toBe(6)
    // Longer than the context (32 positions): too-long as well.
    const long = Array.from({ length: 31 }, (_, i) => i + 1)
    await expect(new LLMGradientAttribution('LayerIntegratedGradients', m).attribute(allFeatures(long), [1, 2, 3])).rejects.toMatchObject({ code: 'too-long' })
  })

  it('the graph\'s gradient equals central finite differences of its own log-prob', async () => {
    const ids = [...prompt, ...target.slice(0, 1)]
    const x = await model.embed(ids)
    const E = model.config.nEmbd
    const L = ids.length
    // A random direction v; rows x + h·v and x − h·v in one call, plus the gradient at x.
    const h = 1e-2
    const { v, rows } = centralRows(x, h, 3)
    const { logProbs, grads } = await model.logProbGrads(rows, 3, L, [L - 1, L - 1, L - 1], [target[1], target[1], target[1]], L)
    let dir = 0
    for (let i = 0; i < L * E; i++) dir += v[i] * grads[i]
    const fd = (logProbs[1] - logProbs[2]) / (2 * h)
    expect(Math.abs(dir)).toBeGreaterThan(0.05) // a real slope
    expect(Math.abs(fd - dir)).toBeLessThan(1e-2 * Math.abs(dir))
  })

  it('with K pairs per row, unsorted and repeated positions, each pair\'s gradient equals central finite differences of its own log-prob', async () => {
    const ids = [...prompt, ...target.slice(0, 2)]
    const x = await model.embed(ids)
    const E = model.config.nEmbd
    const L = ids.length
    // Four pairs per row: the last position twice (two ids), one in the middle, position 0.
    const positions = [L - 1, 2, L - 1, 0]
    const targets = [target[2], target[0], 7, target[1]]
    const K = positions.length
    const h = 1e-2
    const { v, rows } = centralRows(x, h, 11)
    const rep = (a: number[]) => [...a, ...a, ...a]
    const { logProbs, grads } = await model.logProbGrads(rows, 3, L, rep(positions), rep(targets), L)
    for (let k = 0; k < K; k++) {
      let dir = 0
      for (let i = 0; i < L * E; i++) dir += v[i] * grads[k * L * E + i]
      const fd = (logProbs[K + k] - logProbs[2 * K + k]) / (2 * h)
      expect(Math.abs(dir), `pair ${k}: a real slope`).toBeGreaterThan(0.02)
      expect(Math.abs(fd - dir), `pair ${k}`).toBeLessThan(1e-2 * Math.abs(dir))
      // Causal: nothing after the pair's position moves its log-prob.
      for (let i = (positions[k] + 1) * E; i < L * E; i++) expect(grads[k * L * E + i]).toBe(0)
    }
  })

  it('a Riemann rule\'s end steps and the convergence-delta endpoints at the same alpha share one pair', async () => {
    const m = counted(model)
    const res = await new LLMGradientAttribution('LayerIntegratedGradients', m).attribute(allFeatures(prompt), target, { nSteps: 2, method: 'riemann_left', returnConvergenceDelta: true })
    // Rows: 2 steps × 3 targets + 2 endpoints × 3 targets = 12; distinct (alpha, target)
    // pairs: alpha 0 (a step and an endpoint), 0.5, and 1: 9.
    expect(res.rows).toBe(12)
    expect(m.pairs).toBe(9)
    const fx = await targetLogProbs(model, prompt, target)
    const fb = await targetLogProbs(model, prompt.map(() => 0), target)
    res.tokenAttr.forEach((row, k) => expect(res.convergenceDelta![k]).toBeCloseTo(row.reduce((a, b) => a + b, 0) - (fx[k] - fb[k]), 5))
  })

  it('k scored pairs of one row share its forward and equal K rows of their own', async () => {
    const ids = [...prompt, ...target.slice(0, -1)]
    const x = await model.embed(ids)
    const E = model.config.nEmbd
    const L = ids.length
    const P = prompt.length
    const positions = target.map((_, k) => P - 1 + k)
    // Two rows (x and 0.5·x), each scored at every target token: [2, 3] pairs.
    const two = new Float32Array(2 * L * E)
    two.set(x, 0)
    two.set(x.map(v => 0.5 * v), L * E)
    const shared = await model.logProbGrads(two, 2, L, [...positions, ...positions], [...target, ...target], P)
    expect(shared.logProbs).toHaveLength(6)
    expect(shared.grads).toHaveLength(6 * P * E)
    for (const [b, row] of [x, two.subarray(L * E)].entries()) {
      // The same pairs one per row (K = 1), the layout the graph had before sharing.
      const alone = await model.logProbGrads(Float32Array.from({ length: 3 * L * E }, (_, i) => row[i % (L * E)]), 3, L, positions, target, P)
      for (let k = 0; k < 3; k++) {
        expect(shared.logProbs[b * 3 + k]).toBeCloseTo(alone.logProbs[k], 5)
        let maxDiff = 0
        let maxAbs = 0
        for (let e = 0; e < P * E; e++) {
          maxDiff = Math.max(maxDiff, Math.abs(shared.grads[(b * 3 + k) * P * E + e] - alone.grads[k * P * E + e]))
          maxAbs = Math.max(maxAbs, Math.abs(alone.grads[k * P * E + e]))
        }
        expect(maxAbs).toBeGreaterThan(1e-3)
        expect(maxDiff).toBeLessThan(1e-5 * Math.max(1, maxAbs))
      }
    }
    // Causality inside a shared row: target 0's gradient at positions after P−1 is 0.
    const full = await model.logProbGrads(x, 1, L, positions, target, L)
    for (let e = P * E; e < L * E; e++) expect(full.grads[e]).toBe(0)
    await expect(model.logProbGrads(x, 1, L, positions, target.slice(0, 2), P)).rejects.toMatchObject({ code: 'bad-request' })
  })

  it('cancels between passes, and the session runs again afterwards', async () => {
    const ac = new AbortController()
    const lig = new LLMGradientAttribution('LayerIntegratedGradients', model)
    const p = lig.attribute(allFeatures(prompt), target, { nSteps: 8, internalBatchSize: 4 }, {
      signal: ac.signal,
      onProgress: ({ done }) => done >= 8 && ac.abort(),
    })
    await expect(p).rejects.toMatchObject({ code: 'cancelled' })
    const again = await lig.attribute(allFeatures(prompt), target, { nSteps: 4 })
    expect(again.seqAttr.every(Number.isFinite)).toBe(true)
  })

  it('rejects bad options with clear errors', async () => {
    const lig = new LLMGradientAttribution('LayerIntegratedGradients', model)
    await expect(lig.attribute(allFeatures(prompt), [], {})).rejects.toMatchObject({ code: 'empty-input' })
    await expect(lig.attribute(allFeatures(prompt), target, { internalBatchSize: 0 })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(lig.attribute(allFeatures(prompt), target, { method: 'simpson' })).rejects.toMatchObject({ code: 'bad-request' })
    await expect(new LLMGradientAttribution('LayerGradientShap', model).attribute(allFeatures(prompt), target, { stdevs: 0.1 })).rejects.toMatchObject({ code: 'unsupported' })
  })
})

describe.skipIf(!HAVE_TINY)('llm gradient attribution vs Captum 0.8 on the shared tiny GPT-2', () => {
  const ref = HAVE_TINY ? JSON.parse(readFileSync(join(TINY, 'reference.json'), 'utf8')) : null
  const want = ref?.results.find((r: { method: string }) => r.method === 'LayerIntegratedGradients')

  it('matches Captum LayerIntegratedGradients (n_steps 25) on case a: seq_attr and token_attr within 5e-6, in one gradient pass', async () => {
    const progress: Array<{ done: number, total: number }> = []
    const res = await runLlmGradientRequest({
      model: TINY,
      method: 'LayerIntegratedGradients',
      options: { nSteps: 25 },
      input: { type: 'text', text: ref.inputs.a.prompt },
      target: ref.inputs.a.target,
    }, TINY, { onProgress: p => progress.push(p) })
    expect(res.kind).toBe('llm')
    expect(res.inputTokens).toEqual(want.input_tokens)
    expect(res.outputTokens).toEqual(want.output_tokens)
    expect(res.targetIds).toEqual(want.target_ids)
    expect(res.seqAttr).toHaveLength(16)
    res.seqAttr.forEach((v, j) => expect(Math.abs(v - want.seq_attr[j])).toBeLessThan(5e-6))
    expect(res.tokenAttr).toHaveLength(8)
    res.tokenAttr!.forEach((row, k) => row.forEach((v, j) => expect(Math.abs(v - want.token_attr[k][j])).toBeLessThan(5e-6)))
    // Captum: 24 forward calls (3 per target token); here 8 × 25 rows in one pass.
    expect(res.stats).toMatchObject({ forwardCalls: 1, rows: 200, backend: 'cpu' })
    expect(progress.at(-1)).toMatchObject({ done: 200, total: 200 })
  })

  it('generates the target greedily when it is null, and refuses templates', async () => {
    const fx = JSON.parse(readFileSync(join(TINY, 'oracle_fixture.json'), 'utf8'))
    const res = await runLlmGradientRequest({
      model: TINY,
      method: 'LayerGradientXActivation',
      options: { maxNewTokens: 5 },
      input: { type: 'tokens', tokens: fx.tokenizer[0].tokens.slice(0, 12) },
      target: null,
    }, TINY)
    expect(res.stats.backend).toBe('cpu')
    expect(res.targetIds).toEqual(fx.greedy5)
    expect(res.tokenAttr).toHaveLength(5)
    await expect(runLlmGradientRequest({ model: TINY, method: 'LayerIntegratedGradients', input: { type: 'template', template: '{} x', values: ['a'] }, target: ' b' }, TINY))
      .rejects
      .toMatchObject({ code: 'unsupported' })
  })
})
