import type { RefInput } from './helpers'
/**
 * The same course-model numbers on the tfjs WASM backend (what most browsers without
 * WebGPU run). Its own file, hence its own process: the tfjs backend is process-global.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clearBowModelCache, runBowRequest } from '../../../engine/bow/run-bow'
import { initTfBackend } from '../../../engine/models/tf-backend'
import { nodeFiles } from '../../../engine/node-files'
import { HAVE_SHARED, importCourseModel, loadReference, SKIP_MESSAGE } from './helpers'

if (!HAVE_SHARED)
  console.warn(SKIP_MESSAGE)

describe.skipIf(!HAVE_SHARED)('course BoW model on the tfjs wasm backend', () => {
  let dir: string
  let inputs: RefInput[]
  beforeAll(async () => {
    expect(await initTfBackend({ prefer: ['wasm'] })).toBe('wasm')
    dir = importCourseModel()
    inputs = loadReference().inputs
  })
  afterAll(async () => {
    await clearBowModelCache()
  })

  it('probabilities (1e-6), IG, DeepLift and FeatureAblation (1e-5) equal Captum\'s', async () => {
    for (const inp of inputs) {
      const run = (method: 'IntegratedGradients' | 'DeepLift' | 'FeatureAblation') =>
        runBowRequest({ model: dir, method, input: { type: 'text', text: inp.text }, target: null }, nodeFiles(dir), undefined, { prefer: ['wasm'] })
      const ig = await run('IntegratedGradients')
      expect(ig.stats.backend).toBe('wasm')
      ig.probabilities.forEach((p, i) => expect(Math.abs(p - inp.model.probabilities[i]!)).toBeLessThanOrEqual(1e-6))
      const refs = { IntegratedGradients: 'integrated_gradients_gausslegendre', DeepLift: 'deeplift', FeatureAblation: 'feature_ablation' } as const
      for (const [method, key] of Object.entries(refs)) {
        const r = method === 'IntegratedGradients' ? ig : await run(method as 'DeepLift')
        r.scores.forEach((s, i) => expect(Math.abs(s - inp.attributions[key].scores[i]), `${inp.id} ${method} ${i}`).toBeLessThanOrEqual(1e-5))
      }
    }
  })
})
