/**
 * The runtimes' WebAssembly binaries, as the engine worker serves them from our own
 * origin. Vite-only (`?url` imports): `engine/worker.ts` is its one importer, so the deck
 * never handles a runtime's assets. Node loads the same binaries from node_modules.
 *
 * @example
 * const { ortWasmPaths, tfWasmPaths } = workerWasmAssets(self.location.href)
 */
import tfWasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'
import tfWasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'
import tfWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url'
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url'
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url'

export interface WasmAssets {
  /** onnxruntime-web's threaded SIMD build (asyncify, for WebGPU and WASM alike). */
  ortWasmPaths: { wasm: string, mjs: string }
  /** tfjs-backend-wasm's three builds, keyed by the file name tfjs asks for. */
  tfWasmPaths: Record<string, string>
}

/** Absolute URLs of the binaries, resolved against `base` (the worker's own URL). */
export function workerWasmAssets(base: string): WasmAssets {
  const absolute = (url: string) => new URL(url, base).href
  return {
    ortWasmPaths: { wasm: absolute(ortWasm), mjs: absolute(ortMjs) },
    tfWasmPaths: {
      'tfjs-backend-wasm.wasm': absolute(tfWasm),
      'tfjs-backend-wasm-simd.wasm': absolute(tfWasmSimd),
      'tfjs-backend-wasm-threaded-simd.wasm': absolute(tfWasmThreaded),
    },
  }
}
