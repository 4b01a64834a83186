/**
 * A ProductBaselines input draws a fresh baseline on every forward row (Captum), so the
 * mask evaluator must not memoize it: ShapleyValueSampling(nSamples) over M features
 * makes Captum's 1 + nSamples·M evaluations (13 for M = 3, nSamples = 4), not one per
 * distinct coalition (8). Deterministic inputs stay memoized. No model: a fake scorer
 * whose log-prob is a cheap function of the rendered prompt.
 */
import type { MaskForward } from '../../../engine/core/types'
import type { LlmScorer } from '../../../engine/llm/llm-attribution'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../../engine/core/rng'
import { ProductBaselines } from '../../../engine/inputs/product-baselines'
import { TextTemplateInput } from '../../../engine/inputs/text-template-input'
import { LLMAttribution } from '../../../engine/llm/llm-attribution'
import { ShapleyValueSampling } from '../../../engine/methods/shapley-value-sampling'

const M = 3
const N_SAMPLES = 4
const TEMPLATE = '{a}|{b}|{c}'
const VALUES = { a: '3', b: '3', c: '3' }
const CHOICES = { a: ['0', '1', '2'], b: ['0', '1', '2'], c: ['0', '1', '2'] }

/** f(prompt "a|b|c") = a·b + c: non-additive, small integers (exact in float32). */
function f(digits: number[]): number {
  return digits[0]! * digits[1]! + digits[2]!
}

/** Characters as ids; scoreTargets gives one target log-prob f(prompt) and counts rows. */
function fakeLm(): LlmScorer & { rows: number } {
  const lm = {
    rows: 0,
    nPositions: 1024,
    encode: (t: string) => Array.from(t, ch => ch.charCodeAt(0)),
    decode: (ids: number[]) => String.fromCharCode(...ids),
    convertIdsToTokens: (ids: number[]) => ids.map(i => String.fromCharCode(i)),
    convertTokensToIds: (ts: string[]) => ts.map(t => t.charCodeAt(0)),
    generate: async () => [0],
    scoreTargets: async (rows: Array<{ promptIds: number[], targetIds: number[] }>) => {
      lm.rows += rows.length
      return rows.map(r => Float32Array.of(f(String.fromCharCode(...r.promptIds).split('|').map(Number))))
    },
  }
  return lm
}

interface Run { seqAttr: number[], evaluations: number, draws: number, rows: number }

async function ours(seed: number, baselines: ProductBaselines | Record<string, string>): Promise<Run> {
  const lm = fakeLm()
  let draws = 0
  if (baselines instanceof ProductBaselines) {
    const sample = baselines.sample.bind(baselines)
    baselines.sample = () => {
      draws++
      return sample()
    }
  }
  const inp = new TextTemplateInput(TEMPLATE, VALUES, lm, { baselines })
  let evaluations = -1
  const llm = new LLMAttribution('ShapleyValueSampling', async (forward: MaskForward, nFeatures, options, control) => {
    const res = await new ShapleyValueSampling(forward).attribute({ ...options, nFeatures, nSamples: N_SAMPLES }, control)
    evaluations = res.evaluations
    return res.attributions
  }, lm)
  const res = await llm.attribute(inp, [0], { seed, perturbationsPerEval: 2 })
  return { seqAttr: res.seqAttr, evaluations, draws, rows: lm.rows }
}

/**
 * Captum's SVS written out directly, without memoization: all-absent once, then each
 * permutation's growing coalitions, every row with its own ProductBaselines draw.
 */
function reference(seed: number, pbSeed: number, memoize = false): number[] {
  const rng = new Rng(seed)
  const perms = Array.from({ length: N_SAMPLES }, () => rng.permutation(M))
  const pb = new ProductBaselines(CHOICES, pbSeed)
  const keys = ['a', 'b', 'c'] as const
  const cache = new Map<string, number>()
  const evalMask = (mask: number[]): number => {
    const k = mask.join('')
    if (memoize && cache.has(k))
      return cache.get(k)!
    const d = pb.sample()
    const v = f(keys.map((key, i) => Number(mask[i] ? VALUES[key] : d[key])))
    cache.set(k, v)
    return v
  }
  const attr = [0, 0, 0]
  const none = evalMask([0, 0, 0])
  for (const p of perms) {
    const cur = [0, 0, 0]
    let prev = none
    for (const j of p) {
      cur[j] = 1
      const v = evalMask(cur)
      attr[j]! += v - prev
      prev = v
    }
  }
  return attr.map(v => v / N_SAMPLES)
}

function meanVar(xs: number[]): { mean: number, variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  return { mean, variance: xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1) }
}

describe('productBaselines is not memoized (fresh draw per Captum evaluation)', () => {
  it('shapleyValueSampling(4) on 3 ProductBaselines features makes Captum\'s 1 + 4·3 = 13 evaluations and draws', async () => {
    const run = await ours(0, new ProductBaselines(CHOICES, 0))
    expect(run.evaluations).toBe(1 + N_SAMPLES * M)
    expect(run.draws).toBe(13)
    expect(run.rows).toBe(13)
  })

  it('deterministic baselines stay memoized: every coalition at most once (8 of 13 rows for M = 3)', async () => {
    const run = await ours(0, { a: '0', b: '0', c: '0' })
    expect(run.evaluations).toBe(8)
    expect(run.rows).toBe(8)
    expect(run.draws).toBe(0)
  })

  it('over 200 seeds, matches an unmemoized reimplementation exactly, and its mean is the Shapley value of the expected game', async () => {
    // Baseline streams seeded apart from the permutation streams (same seed ⇒ same numbers).
    const seeds = Array.from({ length: 200 }, (_, s) => s)
    const pbSeed = (s: number) => 10_000 + 7919 * s
    const got: number[][] = []
    const want: number[][] = []
    for (const s of seeds) {
      got.push((await ours(s, new ProductBaselines(CHOICES, pbSeed(s)))).seqAttr)
      want.push(reference(s, pbSeed(s)))
    }
    for (let i = 0; i < seeds.length; i++) {
      for (let j = 0; j < M; j++)
        expect(got[i]![j]).toBeCloseTo(want[i]![j]!, 5)
    }
    // Baselines uniform on {0,1,2} (mean 1): v(S) = E[a]E[b] + E[c] with 3 present, 1 absent
    // ⇒ Shapley of the expected game = [4, 4, 2].
    const analytic = [4, 4, 2]
    for (let j = 0; j < M; j++) {
      const g = meanVar(got.map(r => r[j]!))
      const w = meanVar(want.map(r => r[j]!))
      expect(g.mean).toBeCloseTo(w.mean, 5)
      expect(g.variance).toBeCloseTo(w.variance, 4)
      expect(Math.abs(g.mean - analytic[j]!)).toBeLessThan(4 * Math.sqrt(g.variance / seeds.length))
    }
    // The memoized estimator (one draw per distinct coalition) is a different distribution.
    const memo = seeds.map(s => reference(s, pbSeed(s), true))
    expect(got.some((r, i) => r.some((v, j) => Math.abs(v - memo[i]![j]!) > 1e-6))).toBe(true)
  })
})
