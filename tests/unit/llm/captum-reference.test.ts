import type { AttributionRequest, MethodName } from '../../../engine/api'
import type { CausalLm, ScoreRow } from '../../../engine/models/causal-lm'
/**
 * Our engine on the shared gpt2-tiny folder (loaded unchanged) against Captum 0.8's
 * LLMAttribution numbers for case `a` (TextTokenInput, target " playing golf, hiking, and cooking.").
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { TextTokenInput } from '../../../engine/inputs/text-token-input'
import { LLMAttribution } from '../../../engine/llm/llm-attribution'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { GPT2_REF, HAS_SHARED, maxAbsDiff } from './helpers'

interface RefResult {
  method: string
  seq_attr: number[]
  token_attr: number[][] | null
  input_tokens: string[]
  output_tokens: string[]
  target_ids: number[]
  evals: Array<{ mask: number[][], out: number[][] | number }>
  permutations?: number[][]
  similarity_weights?: number[]
  interpretable_model?: { construct_kwargs: { alpha?: number } }
}

describe.skipIf(!HAS_SHARED)(`LLMAttribution vs Captum 0.8 on gpt2-tiny case a ${HAS_SHARED ? '' : '(skipped: shared reference absent)'}`, () => {
  let lm: CausalLm
  let ref: { inputs: { a: { prompt: string, target: string, prompt_ids: number[], target_ids: number[] } }, results: RefResult[] }
  const result = (method: string, alpha?: number) => ref.results.find(r => r.method === method && (alpha === undefined || r.interpretable_model?.construct_kwargs.alpha === alpha))!
  const request = (method: MethodName, options: AttributionRequest['options'] = {}): AttributionRequest => ({
    model: GPT2_REF,
    method,
    options,
    input: { type: 'text', text: ref.inputs.a.prompt },
    target: ref.inputs.a.target,
  })

  beforeAll(async () => {
    // The real model, with its teacher-forced log-probs memoized by row: the replays below
    // evaluate the same masks as the trace test, and the 2-core CI box is slow at 50257-wide logits.
    const real = await loadCausalLm(GPT2_REF)
    const memo = new Map<string, Float32Array>()
    const key = (r: ScoreRow) => `${r.promptIds.join(',')}|${r.targetIds.join(',')}`
    lm = {
      ...real,
      async scoreTargets(rows) {
        const todo = rows.filter(r => !memo.has(key(r)))
        const outs = todo.length ? await real.scoreTargets(todo) : []
        todo.forEach((r, i) => memo.set(key(r), outs[i]!))
        return rows.map(r => memo.get(key(r))!)
      },
    }
    ref = JSON.parse(readFileSync(join(GPT2_REF, 'reference.json'), 'utf8'))
  })

  it('featureAblation: seq_attr and token_attr equal Captum within 5e-5, same tokens and target ids', async () => {
    const fa = result('FeatureAblation')
    const res = await runLlmRequest(request('FeatureAblation'), lm)
    expect(res.inputTokens).toEqual(fa.input_tokens)
    expect(res.outputTokens).toEqual(fa.output_tokens)
    expect(res.targetIds).toEqual(fa.target_ids)
    expect(maxAbsDiff(res.seqAttr, fa.seq_attr)).toBeLessThan(5e-5)
    expect(res.tokenAttr).not.toBeNull()
    expect(res.tokenAttr!.length).toBe(8)
    res.tokenAttr!.forEach((row, k) => expect(maxAbsDiff(row, fa.token_attr![k]!)).toBeLessThan(5e-5))
    // FA is linear in the outputs: seq_attr = column sums of token_attr (up to float32 rounding of the sums).
    const colSums = res.seqAttr.map((_, j) => res.tokenAttr!.reduce((s, r) => s + r[j]!, 0))
    expect(maxAbsDiff(res.seqAttr, colSums)).toBeLessThan(3e-5)
  })

  it('the forward equals Captum\'s recorded output for every traced mask (FA, SVS, KernelShap, Lime)', async () => {
    const inp = new TextTokenInput(ref.inputs.a.prompt, lm)
    for (const method of ['FeatureAblation', 'ShapleyValueSampling', 'KernelShap', 'Lime'] as const) {
      const r = result(method)
      const llm = new LLMAttribution(method, async () => [], lm)
      const forward = llm.makeForward(inp, r.target_ids)
      const outs = await forward(r.evals.map(e => Uint8Array.from(e.mask[0]!)))
      let worst = 0
      outs.forEach((o, i) => {
        const want = r.evals[i]!.out
        worst = Math.max(worst, maxAbsDiff(o, typeof want === 'number' ? [want] : want[0]!))
      })
      expect(worst, method).toBeLessThan(2e-5)
    }
  })

  it('shapleyValueSampling replayed from the recorded permutations matches', async () => {
    const svs = result('ShapleyValueSampling')
    const res = await runLlmRequest(request('ShapleyValueSampling'), lm, {}, { permutations: svs.permutations })
    expect(maxAbsDiff(res.seqAttr, svs.seq_attr)).toBeLessThan(5e-5)
    res.tokenAttr!.forEach((row, k) => expect(maxAbsDiff(row, svs.token_attr![k]!)).toBeLessThan(5e-5))
  })

  it('kernelShap replayed from the recorded coalitions and weights matches', async () => {
    const ks = result('KernelShap')
    const res = await runLlmRequest(request('KernelShap'), lm, {}, { coalitions: ks.evals.map(e => e.mask[0]!), weights: ks.similarity_weights })
    expect(res.tokenAttr).toBeNull()
    expect(maxAbsDiff(res.seqAttr, ks.seq_attr)).toBeLessThan(5e-5)
  })

  it('lime replayed from the recorded coalitions and weights matches (alpha 0.01 and 1e-5)', async () => {
    const lime = result('Lime', 0.01)
    const res = await runLlmRequest(request('Lime', { alpha: 0.01 }), lm, {}, { coalitions: lime.evals.map(e => e.mask[0]!), weights: lime.similarity_weights })
    expect(res.tokenAttr).toBeNull()
    expect(maxAbsDiff(res.seqAttr, lime.seq_attr)).toBeLessThan(5e-5)
    expect(res.seqAttr.slice(0, 15).every(v => v === 0)).toBe(true)
    const lime5 = result('Lime', 1e-5)
    const res5 = await runLlmRequest(request('Lime', { alpha: 1e-5 }), lm, {}, { coalitions: lime5.evals.map(e => e.mask[0]!), weights: lime5.similarity_weights })
    expect(maxAbsDiff(res5.seqAttr, lime5.seq_attr)).toBeLessThan(5e-5)
  })

  it('attrTarget "prob" explains exp() of the same outputs', async () => {
    const res = await runLlmRequest(request('FeatureAblation', { attrTarget: 'prob' }), lm)
    const fa = result('FeatureAblation')
    // exp(Σ logp) is ~1e-38: per-token probs ≈ 2e-5 carry the signal.
    const full = fa.evals[0]!.out as number[][]
    const abl = fa.evals[1]!.out as number[][]
    expect(res.tokenAttr![0]![0]).toBeCloseTo(Math.exp(full[0]![1]!) - Math.exp(abl[0]![1]!), 9)
  })
})
