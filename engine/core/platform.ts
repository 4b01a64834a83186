/**
 * Platform detection, in one place: whether this is a browser (page or worker), whether
 * a WebGPU adapter can be had, and how many WASM threads the runtimes may use. No
 * runtime is imported here; `engine/models/*` read these answers.
 */

interface GpuLike { requestAdapter: () => Promise<unknown> }

/** True in a page or a Web Worker; false in Node. */
export const isBrowser: boolean = typeof (globalThis as { document?: unknown }).document !== 'undefined'
  || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined'

/** `navigator.gpu` when the WebGPU API exists (it does in Chromium even without an adapter). */
export function webGpuApi(): GpuLike | undefined {
  return (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu
}

let adapterProbe: Promise<boolean> | null = null

/**
 * Whether a WebGPU adapter can be had, asked once per realm. A failed WebGPU start leaves
 * ORT and tfjs unable to start another backend in a worker, so both ask this first.
 *
 * @example
 * if (await webGpuAdapterAvailable()) device = 'webgpu'
 */
export function webGpuAdapterAvailable(): Promise<boolean> {
  adapterProbe ??= (async () => {
    const gpu = webGpuApi()
    if (!gpu)
      return false
    try {
      return (await gpu.requestAdapter()) != null
    }
    catch {
      return false
    }
  })()
  return adapterProbe
}

/**
 * True when this page or worker is cross-origin isolated (COOP + COEP), the condition for
 * SharedArrayBuffer and so for multi-threaded WebAssembly. Node: true (native threads).
 */
export function crossOriginIsolated(): boolean {
  if (!isBrowser)
    return true
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
}

/** Logical cores reported by the platform (`navigator.hardwareConcurrency`), at least 1. */
export function hardwareConcurrency(): number {
  const n = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1
}

/**
 * Threads of tfjs-backend-wasm (the BoW model, the tfjs gradient path): always 1. Its
 * 4.22 threaded build spawns pthread workers from a blob that fails once bundled
 * ("e is not defined", seen in Chromium 156 on the built deck), so it is never enabled.
 */
export const TFJS_WASM_THREADS = 1

/**
 * WASM threads for ONNX Runtime Web: every core when the page is
 * cross-origin isolated (capped at 8, past which ORT gains nothing on these models),
 * else 1 (threads need SharedArrayBuffer).
 *
 * @example
 * wasmThreads() // 2 on an isolated page of a 2-core laptop, 1 without COOP/COEP
 */
export function wasmThreads(): number {
  if (!isBrowser || !crossOriginIsolated())
    return 1
  return Math.min(8, hardwareConcurrency())
}
