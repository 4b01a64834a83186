import type { EngineEnv } from './run'
import { resolve } from 'node:path'
import { nodeFiles } from './core/node-files'

/**
 * The engine environment in Node: `model` is a folder path, and LMs score their targets
 * inside the ONNX graph (`adaptCausalLm: undefined` keeps transformers.js's scorer).
 *
 * @example
 * await runRequest(request, nodeEnv())
 */
export function nodeEnv(overrides: Partial<EngineEnv> = {}): EngineEnv {
  return {
    locate: model => ({ name: resolve(model), files: nodeFiles(model), root: resolve(model, '..') }),
    offline: true,
    // Score inside the ONNX graph (engine/models/onnx-scorer.ts): same numbers to float32
    // rounding, about half the time of transformers.js's full logits (npm run bench).
    adaptCausalLm: async (lm) => {
      const { scoreInOnnxGraph } = await import('./models/onnx-scorer')
      return scoreInOnnxGraph(lm)
    },
    ...overrides,
  }
}
