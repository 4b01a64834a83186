/**
 * The engine remembers scored rows by their token ids (`ScoreMemo`): a row seen before is
 * answered without a forward, with the same float32 values, and the estimators do not
 * change, also under ProductBaselines (the key is the drawn sequence, not the mask).
 */
import type { AttributionRequest, LlmResponse } from '../../../engine/api'
import type { ScoreRow } from '../../../engine/core/score-rows'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ScoreMemo } from '../../../engine/core/score-rows'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { makeTinyFixture } from './helpers'

const row = (p: number[], t: number[]): ScoreRow => ({ promptIds: p, targetIds: t })

describe('scoreMemo', () => {
  /** A stand-in scorer: row r scores to [sum of its ids], and every call is recorded. */
  function scorer() {
    const calls: ScoreRow[][] = []
    const score = async (rows: ScoreRow[]) => {
      calls.push(rows)
      return rows.map(r => Float32Array.of([...r.promptIds, ...r.targetIds].reduce((a, b) => a + b, 0)))
    }
    return { calls, score }
  }

  it('scores each distinct row once, in one call, and answers repeats from memory', async () => {
    const memo = new ScoreMemo(100)
    const { calls, score } = scorer()
    const a = row([1, 2], [3])
    const b = row([1, 2], [4])
    expect((await memo.score([a, b, a], score)).map(x => x[0])).toEqual([6, 7, 6])
    expect(calls).toEqual([[a, b]])
    expect((await memo.score([b, row([9], [3])], score)).map(x => x[0])).toEqual([7, 12])
    expect(calls[1]).toEqual([row([9], [3])])
    expect(memo.hits).toBe(2)
    // The prompt/target split is part of the key: [1, 2 | 3] is not [1 | 2, 3].
    await memo.score([row([1], [2, 3])], score)
    expect(calls).toHaveLength(3)
  })

  it('hands out copies, forgets the least recently used row beyond its capacity, and remembers nothing at 0', async () => {
    const memo = new ScoreMemo(2)
    const { calls, score } = scorer()
    const [first] = await memo.score([row([1], [1])], score)
    first![0] = -1
    expect((await memo.score([row([1], [1])], score))[0]![0]).toBe(2)
    await memo.score([row([2], [2])], score)
    await memo.score([row([1], [1])], score) // [1|1] is now the most recent
    await memo.score([row([3], [3])], score) // evicts [2|2]
    const before = calls.length
    await memo.score([row([1], [1]), row([3], [3])], score)
    expect(calls.length).toBe(before)
    await memo.score([row([2], [2])], score)
    expect(calls.length).toBe(before + 1)

    const none = new ScoreMemo(0)
    const s = scorer()
    await none.score([row([1], [1])], s.score)
    await none.score([row([1], [1])], s.score)
    expect(s.calls).toHaveLength(2)
  })
})

describe('remembered rows in a run', () => {
  let fx: { dir: string, cleanup: () => void }
  beforeAll(async () => {
    fx = await makeTinyFixture()
  })
  afterAll(() => fx?.cleanup())

  const request = (method: AttributionRequest['method'], options: Record<string, unknown>, input: AttributionRequest['input']): AttributionRequest =>
    ({ model: fx.dir, method, options, input, target: ' and plays golf' }) as AttributionRequest

  it('a repeated request runs no row again and gives the same numbers as a model that remembers nothing', async () => {
    const fa = request('FeatureAblation', {}, { type: 'text', text: 'Dave lives in Palm Coast' })
    const plain = await runRequest(fa, nodeEnv({ scoreMemo: 0 })) as LlmResponse
    const first = await runRequest(fa, nodeEnv()) as LlmResponse
    const again = await runRequest(fa, nodeEnv()) as LlmResponse
    expect(first.seqAttr).toEqual(plain.seqAttr)
    expect(again.seqAttr).toEqual(plain.seqAttr)
    expect(again.tokenAttr).toEqual(plain.tokenAttr)
    expect(again.stats.rows).toBe(0)
    expect(again.stats.rememberedRows).toBe(first.stats.rows + first.stats.rememberedRows!)
  })

  it('a metrics request reuses the run of its method made before (a gradient method too): same numbers, no row run', async () => {
    const lig = request('LayerIntegratedGradients', { nSteps: 4 }, { type: 'text', text: 'Dave lives in Palm Coast' })
    const first = await runRequest(lig, nodeEnv()) as LlmResponse
    expect(first.stats.rows).toBeGreaterThan(0)
    // As the faithfulness table asks: the same method request plus `seed: 0`, the default.
    const measured = await runRequest({ ...lig, options: { ...lig.options, seed: 0 }, metrics: ['deletion'] }, nodeEnv()) as LlmResponse
    expect(measured.seqAttr).toEqual(first.seqAttr)
    expect(measured.stats.rows).toBe(0)
    expect(measured.stats.rememberedRows).toBe(first.stats.rows)
    expect((measured.metrics as { deletion: { curve: number[] } }).deletion.curve).toHaveLength(first.seqAttr.length + 1)
    // The kept copy is not the caller's: changing a result changes nothing later.
    first.seqAttr[0] = 99
    expect(((await runRequest(lig, nodeEnv())) as LlmResponse).seqAttr[0]).not.toBe(99)
  })

  it('under ProductBaselines every draw still happens: ShapleyValueSampling equals the run without memory, seed for seed', async () => {
    const input: AttributionRequest['input'] = {
      type: 'template',
      template: '{name} lives in {city}',
      values: { name: 'Dave', city: 'Palm Coast' },
      productBaselines: { name: ['Maria', 'Georg', 'Anna'], city: ['Paris', 'Rome'] },
    }
    for (const seed of [0, 1, 2]) {
      const svs = request('ShapleyValueSampling', { nSamples: 4, seed }, input)
      const plain = await runRequest(svs, nodeEnv({ scoreMemo: 0 })) as LlmResponse
      const remembered = await runRequest(svs, nodeEnv()) as LlmResponse
      expect(remembered.seqAttr).toEqual(plain.seqAttr)
      expect(remembered.tokenAttr).toEqual(plain.tokenAttr)
    }
  })
})
