import type { EngineEnv } from './run'
import { resolve } from 'node:path'
import { nodeFiles } from './node-files'

/**
 * The engine environment in Node: `model` is a folder path.
 *
 * @example
 * await runRequest(request, nodeEnv())
 */
export function nodeEnv(overrides: Partial<EngineEnv> = {}): EngineEnv {
  return {
    locate: model => ({ name: resolve(model), files: nodeFiles(model), root: resolve(model, '..') }),
    offline: true,
    ...overrides,
  }
}
