import type { BowResponse } from '../../../engine/api'
import type { IgPath } from '../../../engine/bow/ig-path'
/**
 * The IG explorable's slider (components/lib/ig-path-view.ts) on the real path of the
 * course's BoW model: at α = 0 nothing is summed and F is the baseline's; at the last
 * point the running sum is IG's attribution and reaches F(x) − F(x′); in between, the
 * shown point is the rule's k-th one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { igPathAt, pathCurve } from '../../../components/lib/ig-path-view'
import { clearBowModelCache, runBowRequest } from '../../../engine/bow/run-bow'
import { nodeFiles } from '../../../engine/node-files'
import { OUR_MODEL } from '../bow/helpers'

let res: BowResponse & { igPath: IgPath }
beforeAll(async () => {
  res = await runBowRequest({ model: OUR_MODEL, method: 'IntegratedGradients', options: { nSteps: 20, igPath: true }, input: { type: 'text', text: 'I hate it, but I love the soundtrack' }, target: null }, nodeFiles(OUR_MODEL)) as typeof res
})
afterAll(async () => {
  await clearBowModelCache()
})

describe('the IG explorable at a slider position', () => {
  it('k = 0: the baseline, nothing summed, no gradient yet', () => {
    const p = igPathAt(res.igPath, res.words.length, 0)
    expect(p).toMatchObject({ n: 20, k: 0, alpha: 0, grads: null, sum: 0, change: 0 })
    expect(p.output).toBe(res.igPath.baselineOutput)
    expect(p.running).toEqual(res.words.map(() => 0))
  })
  it('k = n: the running sum is IG\'s scores and adds up to F(x) − F(x′) (Gauss–Legendre, δ < 1e-5)', () => {
    const p = igPathAt(res.igPath, res.words.length, 20)
    expect(p.alpha).toBeCloseTo(res.igPath.alphas.at(-1)!, 12)
    p.running.forEach((v, i) => expect(Math.abs(v - res.scores[i]!)).toBeLessThan(1e-5))
    expect(Math.abs(p.sum - p.total)).toBeLessThan(1e-5)
    expect(p.total).toBeCloseTo(res.probabilities[res.target]! - res.igPath.baselineOutput, 6)
  })
  it('in between: the k-th point of the rule; out-of-range and non-finite positions are clamped', () => {
    const p = igPathAt(res.igPath, res.words.length, 7.4)
    expect(p.k).toBe(7)
    expect(p.alpha).toBe(res.igPath.alphas[6])
    expect(p.output).toBe(res.igPath.outputs[6])
    expect(p.grads).toBe(res.igPath.grads[6])
    expect(igPathAt(res.igPath, res.words.length, -3).k).toBe(0)
    expect(igPathAt(res.igPath, res.words.length, 99).k).toBe(20)
    expect(igPathAt(res.igPath, res.words.length, Number.NaN).k).toBe(20)
  })
  it('the curve runs from α = 0 to α = 1 through every point, inside the box', () => {
    const d = pathCurve(res.igPath, 200, 50)
    const pts = d.split(' ').map(s => s.slice(1).split(',').map(Number))
    expect(pts).toHaveLength(22)
    expect(pts[0]![0]).toBe(0)
    expect(pts.at(-1)![0]).toBe(200)
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(0)
      expect(y).toBeGreaterThanOrEqual(0)
      expect(y).toBeLessThanOrEqual(50)
    }
    // Lowest output at the bottom (y = height), highest at the top (y = 0).
    expect(Math.max(...pts.map(p => p[1]!))).toBe(50)
    expect(Math.min(...pts.map(p => p[1]!))).toBe(0)
  })
})
