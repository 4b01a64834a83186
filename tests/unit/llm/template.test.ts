import type { AttributionRequest } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
/**
 * TextTemplateInput and ProductBaselines: rendering, re-tokenization, grouping,
 * one seeded draw per forward row, batch invariance and seed determinism.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProductBaselines } from '../../../engine/inputs/product-baselines'
import { TextTemplateInput } from '../../../engine/inputs/text-template-input'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { makeTinyFixture, maxAbsDiff } from './helpers'

describe('textTemplateInput + ProductBaselines on our tiny GPT-2', () => {
  let fx: { dir: string, cleanup: () => void }
  let lm: CausalLm
  beforeAll(async () => {
    fx = await makeTinyFixture()
    lm = await loadCausalLm(fx.dir)
  })
  afterAll(() => fx?.cleanup())

  const template = '{name} from {country} applied for a job as a {job}.'
  const values = { name: 'Georg', country: 'Germany', job: 'janitor' }
  const choices = { name: ['Sarah', 'John', 'Wei'], country: ['Spain', 'Canada'], job: ['doctor', 'chef', 'pilot'] }
  const request = (options: AttributionRequest['options']): AttributionRequest => ({
    model: fx.dir,
    method: 'ShapleyValues',
    options,
    input: { type: 'template', template, values, productBaselines: choices },
    target: ' The manager said no.',
  })

  it('renders absent slots with their baseline and re-tokenizes the whole text', () => {
    const inp = new TextTemplateInput(template, values, lm)
    expect(inp.nFeatures).toBe(3)
    expect(inp.values).toEqual(['Georg', 'Germany', 'janitor'])
    expect(lm.decode(inp.toModelIds(Uint8Array.of(1, 1, 1)))).toBe('Georg from Germany applied for a job as a janitor.')
    expect(lm.decode(inp.toModelIds(Uint8Array.of(1, 0, 1)))).toBe('Georg from  applied for a job as a janitor.')
    const pos = new TextTemplateInput('{} and {}', ['cats', 'dogs'], lm, { baselines: ['x', 'y'] })
    expect(lm.decode(pos.toModelIds(Uint8Array.of(0, 1)))).toBe('x and dogs')
    const braces = new TextTemplateInput('{{literal}} {a}', { a: 'z' }, lm)
    expect(lm.decode(braces.originalIds())).toBe('{literal} z')
  })

  it('a mask groups slots into one feature and spreads the group attribution back to every value', () => {
    const inp = new TextTemplateInput(template, values, lm, { mask: { name: 0, country: 0, job: 1 } })
    expect(inp.nFeatures).toBe(2)
    expect(lm.decode(inp.toModelIds(Uint8Array.of(0, 1)))).toBe(' from  applied for a job as a janitor.')
    expect(inp.formatAttr([[0.5, -1]])).toEqual([[0.5, 0.5, -1]])
  })

  it('productBaselines draws once per forward row, in evaluation order, even for the unperturbed row', () => {
    const inp = new TextTemplateInput(template, values, lm, { baselines: new ProductBaselines(choices, 11) })
    const twin = new ProductBaselines(choices, 11)
    const masks = [Uint8Array.of(1, 1, 1), Uint8Array.of(0, 0, 0), Uint8Array.of(0, 1, 0)]
    const rendered = masks.map(m => lm.decode(inp.toModelIds(m)))
    const draws = masks.map(() => twin.sample())
    expect(rendered[0]).toBe('Georg from Germany applied for a job as a janitor.')
    expect(rendered[1]).toBe(`${draws[1]!.name} from ${draws[1]!.country} applied for a job as a ${draws[1]!.job}.`)
    expect(rendered[2]).toBe(`${draws[2]!.name} from Germany applied for a job as a ${draws[2]!.job}.`)
    // The stream is not constant: over 30 draws every key takes more than one value.
    const many = Array.from({ length: 30 }, () => twin.sample())
    for (const k of Object.keys(choices))
      expect(new Set(many.map(d => d[k])).size).toBeGreaterThan(1)
  })

  it('is batch-invariant (perturbationsPerEval 1 vs 64) and seed-deterministic', async () => {
    const a = await runLlmRequest(request({ seed: 3, perturbationsPerEval: 1 }), lm)
    const b = await runLlmRequest(request({ seed: 3, perturbationsPerEval: 64 }), lm)
    const c = await runLlmRequest(request({ seed: 3 }), lm)
    const d = await runLlmRequest(request({ seed: 4 }), lm)
    expect(a.inputTokens).toEqual(['Georg', 'Germany', 'janitor'])
    expect(a.outputTokens).toEqual(['The', 'manager', 'said', 'no', '.'])
    expect(maxAbsDiff(a.seqAttr, b.seqAttr)).toBeLessThan(1e-5)
    expect(c.seqAttr).toEqual(b.seqAttr)
    expect(c.tokenAttr).toEqual(b.tokenAttr)
    expect(maxAbsDiff(c.seqAttr, d.seqAttr)).toBeGreaterThan(1e-4)
    // Exact Shapley, linear in the outputs: seq_attr = column sums of token_attr.
    const colSums = c.seqAttr.map((_, j) => c.tokenAttr!.reduce((s, r) => s + r[j]!, 0))
    expect(maxAbsDiff(c.seqAttr, colSums)).toBeLessThan(3e-5)
  })

  it('numTrials continues the ProductBaselines stream: 2 trials differ from 1 and repeat exactly', async () => {
    const one = await runLlmRequest({ ...request({ seed: 5 }), method: 'FeatureAblation' }, lm)
    const two = await runLlmRequest({ ...request({ seed: 5, numTrials: 2 }), method: 'FeatureAblation' }, lm)
    const twoAgain = await runLlmRequest({ ...request({ seed: 5, numTrials: 2 }), method: 'FeatureAblation' }, lm)
    expect(two.seqAttr).toEqual(twoAgain.seqAttr)
    expect(maxAbsDiff(one.seqAttr, two.seqAttr)).toBeGreaterThan(1e-6)
  })
})
