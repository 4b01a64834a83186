/**
 * The metrics stage (engine/metrics/stage.ts) runs for both model kinds: the request's
 * metric names are checked at the boundary, and the BoW classifier gets the deletion and
 * insertion curves over the mask forward of its present words, as the LLM does.
 */
import type { AttributionRequest, BowResponse } from '../../../engine/api'
import { describe, expect, it } from 'vitest'
import { loadBowModel } from '../../../engine/bow/run-bow'
import { nodeEnv } from '../../../engine/node-env'
import { nodeFiles } from '../../../engine/node-files'
import { runRequest, validateRequest } from '../../../engine/run'

const BOW = 'public/models/bow'
const bow = (metrics: string[]): AttributionRequest => ({ model: BOW, method: 'IntegratedGradients', options: { seed: 0 }, input: { type: 'text', text: 'I love this game but the ending is terrible' }, target: null, metrics })

describe('the metrics stage', () => {
  it('refuses an unknown metric in one line that lists the known ones', () => {
    expect(() => validateRequest(bow(['sensitivity']))).toThrow('Unknown metric "sensitivity": use deletion, insertion, infidelity, sensitivityMax.')
    expect(() => validateRequest({ ...bow([]), metrics: 'deletion' as unknown as string[] })).toThrow(/"metrics" must be a list/)
  })

  it('gives the BoW classifier deletion and insertion curves: from p(x) to p(0) and back, in score order', async () => {
    const res = await runRequest(bow(['deletion', 'insertion', 'infidelity']), nodeEnv()) as BowResponse
    const model = await loadBowModel(nodeFiles(BOW))
    const [atX] = await model.predict([model.vectorize(model.config.vocab.filter(w => res.words.includes(w)))])
    const [atZero] = await model.predict([new Float64Array(model.vocabSize)])
    const M = res.words.length + 1 // the present words and the rest group (a null player)
    const del = res.deletion!
    const ins = res.insertion!
    expect(del.curve).toHaveLength(M + 1)
    expect(del.curve[0]).toBeCloseTo(res.probabilities[res.target]!, 6)
    expect(del.curve[M]).toBeCloseTo(atZero![res.target]!, 6)
    expect(ins.curve[0]).toBeCloseTo(atZero![res.target]!, 6)
    expect(ins.curve[M]).toBeCloseTo(res.probabilities[res.target]!, 6)
    // The words are removed in decreasing score order; the rest group (score 0) comes after the positive ones.
    const ranked = [...res.scores.map((s, i) => [s, i] as const)].sort((a, b) => b[0] - a[0] || a[1] - b[1])
    expect(del.order.filter(j => j < res.words.length).slice(0, 2)).toEqual(ranked.slice(0, 2).map(([, i]) => i))
    // Each word appears once in the text, so its count vector is x: the curve starts at p(x).
    expect(atX![res.target]).toBeCloseTo(res.probabilities[res.target]!, 6)
    expect(Number.isFinite(res.infidelity)).toBe(true)
  })
})
