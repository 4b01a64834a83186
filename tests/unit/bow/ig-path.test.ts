import type { AttributionRequest, BowResponse } from '../../../engine/api'
import type { IgPath } from '../../../engine/bow/ig-path'
/**
 * The IG explorable's path (engine/bow/ig-path.ts, `options.igPath: true`): the running
 * sum at α = 1 is the IG attribution, its total is F(x) − F(x′) (completeness), and the
 * path's endpoints are the model's outputs at the baseline and the input.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { clearBowModelCache, runBowRequest } from '../../../engine/bow/run-bow'
import { nodeFiles } from '../../../engine/node-files'
import { OUR_MODEL } from './helpers'

const files = nodeFiles(OUR_MODEL)
const TEXT = 'I hate it, hate it so much, but I love the soundtrack'
const req = (options: Record<string, unknown>): AttributionRequest => ({ model: OUR_MODEL, method: 'IntegratedGradients', options, input: { type: 'text', text: TEXT }, target: null })

afterAll(async () => {
  await clearBowModelCache()
})

describe('the IG explorable\'s path', () => {
  for (const method of ['gausslegendre', 'riemann_trapezoid']) {
    it(`${method}: the running sum at α = 1 equals the IG attributions; completeness within 1e-5`, async () => {
      const res = await runBowRequest(req({ nSteps: 50, method, igPath: true }), files) as BowResponse & { igPath: IgPath }
      const p = res.igPath
      expect(p.alphas).toHaveLength(50)
      expect([...p.alphas].sort((a, b) => a - b)).toEqual(p.alphas)
      expect(p.running).toHaveLength(50)
      const last = p.running.at(-1)!
      last.forEach((v, k) => expect(Math.abs(v - res.scores[k]!)).toBeLessThan(1e-5))
      // Completeness: Σ attr = F(x) − F(x′) − δ, and δ is IG's own convergence delta.
      const total = last.reduce((a, b) => a + b, 0)
      expect(Math.abs(total - (p.inputOutput - p.baselineOutput) - res.convergenceDelta!)).toBeLessThan(1e-5)
      if (method === 'gausslegendre')
        expect(Math.abs(total - (p.inputOutput - p.baselineOutput))).toBeLessThan(1e-5)
      expect(Math.abs(p.inputOutput - res.probabilities[res.target])).toBeLessThan(1e-6)
      // The running sum starts from nothing: its first row is one weighted gradient.
      expect(p.running[0]!.every((v, k) => Math.abs(v) <= Math.abs(p.grads[0]![k]!) * 10)).toBe(true)
    })
  }
  it('a plain IG request carries no path', async () => {
    const res = await runBowRequest(req({ nSteps: 50 }), files) as BowResponse & { igPath?: IgPath }
    expect(res.igPath).toBeUndefined()
  })
})
