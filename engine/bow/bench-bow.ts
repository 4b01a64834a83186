/**
 * Times every BoW method on one sentence, per tfjs backend (wired into `npm run bench`).
 */
import type { MethodName } from '../api'
import type { ModelFiles } from '../core/files'
import type { TfBackendName } from '../models/tf-backend'
import { resetTfBackendChoice } from '../models/tf-backend'
import { clearBowModelCache, runBowRequest } from './run-bow'

export interface BowBenchRow {
  method: string
  backend: string
  ms: number
}

export const BOW_BENCH_METHODS: Array<{ method: MethodName, label?: string, options?: Record<string, unknown>, metrics?: string[] }> = [
  { method: 'FeatureAblation' },
  { method: 'ShapleyValues' },
  { method: 'ShapleyValueSampling', options: { nSamples: 25 } },
  { method: 'Lime', options: { nSamples: 200 } },
  { method: 'KernelShap', options: { nSamples: 200 } },
  { method: 'IntegratedGradients', options: { nSteps: 50 } },
  { method: 'Saliency' },
  { method: 'InputXGradient' },
  { method: 'DeepLift', options: { deepLiftVariant: 'rescale' } },
  { method: 'GradientShap', options: { nSamples: 20 } },
  { method: 'NoiseTunnel', options: { ntSamples: 10, stdevs: 0.1 } },
  { method: 'IntegratedGradients', label: 'infidelity + sensitivityMax (IG)', metrics: ['infidelity', 'sensitivityMax'] },
]

/**
 * Runs each method once to warm up, then times a second run.
 *
 * @example
 * const rows = await benchBow(nodeFiles('public/models/bow'), ['cpu', 'wasm'])
 * // [{ method: 'FeatureAblation', backend: 'cpu', ms: 3.1 }, …]
 */
export async function benchBow(files: ModelFiles, backends: TfBackendName[], text = 'I hate it, hate it so much, but I love the soundtrack'): Promise<BowBenchRow[]> {
  const rows: BowBenchRow[] = []
  for (const backend of backends) {
    // The model's tensors live on one backend: reload for each.
    await clearBowModelCache()
    resetTfBackendChoice()
    const { initTfBackend } = await import('../models/tf-backend')
    let name: string
    try {
      name = await initTfBackend({ prefer: [backend] })
    }
    catch {
      continue // that backend cannot start here (e.g. webgpu in Node)
    }
    for (const m of BOW_BENCH_METHODS) {
      const request = { model: files.location, method: m.method, options: { seed: 0, ...m.options }, input: { type: 'text' as const, text }, target: null, metrics: m.metrics }
      await runBowRequest(request, files)
      const t0 = performance.now()
      await runBowRequest(request, files)
      rows.push({ method: m.label ?? m.method, backend: name, ms: performance.now() - t0 })
    }
  }
  await clearBowModelCache()
  return rows
}
