import type { LosableGpuDevice } from './gpu-device-watch'
/**
 * The single place that chooses the TensorFlow.js backend. Order: WebGPU, then WASM,
 * then the plain-JS CPU backend. `tf.setBackend` resolves to false (rather than
 * throwing) when a backend cannot start, e.g. no WebGPU adapter.
 */
import * as tf from '@tensorflow/tfjs'
import { isBrowser, TFJS_WASM_THREADS, webGpuAdapterAvailable } from '../core/platform'
import { watchGpuDevice } from './gpu-device-watch'

export type TfBackendName = 'webgpu' | 'wasm' | 'cpu'

export interface TfBackendOptions {
  /** Backends to try, in order. Default: ['webgpu', 'wasm', 'cpu'] in a browser, ['cpu'] in Node. */
  prefer?: TfBackendName[]
  /**
   * URLs of the tfjs-backend-wasm binaries, served from our own origin (never a CDN):
   * keys 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'.
   */
  wasmPaths?: Record<string, string>
}

let chosen: Promise<TfBackendName> | null = null

/**
 * Starts the first backend that works and returns its name. Later calls return the same.
 *
 * @example
 * const backend = await initTfBackend({ prefer: ['webgpu', 'wasm', 'cpu'] }) // 'wasm' without a GPU
 */
export function initTfBackend(options: TfBackendOptions = {}): Promise<TfBackendName> {
  chosen ??= (async () => {
    const prefer = options.prefer ?? (isBrowser ? ['webgpu', 'wasm', 'cpu'] : ['cpu'])
    for (const name of prefer) {
      try {
        if (name === 'webgpu') {
          // navigator.gpu exists in Chromium even when no adapter can be had: ask first,
          // rather than letting tfjs fail (and warn) inside setBackend.
          if (!await webGpuAdapterAvailable())
            continue
          await import('@tensorflow/tfjs-backend-webgpu')
        }
        if (name === 'wasm') {
          const wasm = await import('@tensorflow/tfjs-backend-wasm')
          if (options.wasmPaths)
            wasm.setWasmPaths(options.wasmPaths)
          // Single-threaded even on an isolated page (why: TFJS_WASM_THREADS in core/platform.ts).
          tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', TFJS_WASM_THREADS > 1)
        }
        if (await tf.setBackend(name)) {
          await tf.ready()
          // tfjs does not watch its device: a lost one only shows up as failing
          // read-backs. The engine worker listens for the loss and moves to WASM.
          if (name === 'webgpu')
            watchGpuDevice((tf.backend() as { device?: LosableGpuDevice }).device, 'TensorFlow.js')
          return name
        }
      }
      catch {
        // Try the next backend: the badge on the slide shows which one ran.
      }
    }
    throw new Error(`No TensorFlow.js backend could start (tried ${prefer.join(', ')}).`)
  })()
  return chosen
}

/** Forget the chosen backend (tests that switch backends). */
export function resetTfBackendChoice(): void {
  chosen = null
}

export { tf }
