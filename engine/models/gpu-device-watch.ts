/**
 * Watches the GPU devices our runtimes compute on (TensorFlow.js's WebGPU backend and
 * ONNX Runtime's WebGPU execution provider) and tells a listener when one is lost.
 *
 * A WebGPU device can be lost at any time: driver reset, GPU switch, the OS reclaiming
 * memory, or `device.destroy()`. Afterwards every read-back fails ("The Device was lost
 * before mapping was resolved") and nothing on that device can be recovered, so the
 * engine worker reports the loss and the deck restarts it on WASM
 * (`components/demo/engine-client.ts`). The runtimes register their device here when
 * they start on WebGPU; the worker subscribes. Neither side imports the other.
 */

/** The part of a `GPUDevice` we need (structural, so tests can pass a stand-in). */
export interface LosableGpuDevice {
  readonly lost: Promise<{ reason?: string, message?: string }>
}

/** Which runtime owned the device: names shown to the person at the slide. */
export type GpuRuntime = 'TensorFlow.js' | 'ONNX Runtime'

/** One lost device. */
export interface GpuDeviceLoss {
  runtime: GpuRuntime
  /** `GPUDeviceLostInfo.reason`: 'destroyed' or 'unknown'. */
  reason: string
  /** `GPUDeviceLostInfo.message`, the browser's own words. */
  detail: string
}

type Listener = (loss: GpuDeviceLoss) => void

const watched = new WeakSet<object>()
const listeners = new Set<Listener>()
let firstLoss: GpuDeviceLoss | null = null

/**
 * Starts watching a runtime's device (once per device; later calls are no-ops).
 * Our code never destroys a device it still uses, so any loss is a real one.
 *
 * @example
 * watchGpuDevice((tf.backend() as { device: GPUDevice }).device, 'TensorFlow.js')
 */
export function watchGpuDevice(device: LosableGpuDevice | null | undefined, runtime: GpuRuntime): void {
  if (!device || typeof device !== 'object' || !(device.lost instanceof Promise) || watched.has(device))
    return
  watched.add(device)
  void device.lost.then((info) => {
    const loss: GpuDeviceLoss = { runtime, reason: info?.reason || 'unknown', detail: (info?.message ?? '').trim() }
    firstLoss ??= loss
    for (const listener of listeners)
      listener(loss)
  })
}

/**
 * Calls `listener` for every device lost from now on. Returns the unsubscribe function.
 *
 * @example
 * const stop = onGpuDeviceLost(loss => console.warn(describeGpuDeviceLoss(loss)))
 */
export function onGpuDeviceLost(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** The first device lost in this context, or null while none was. */
export function gpuDeviceLoss(): GpuDeviceLoss | null {
  return firstLoss
}

/**
 * Waits up to `ms` for a device loss and returns it (null if none came). A run that
 * fails because its device died may reject a moment before `device.lost` resolves:
 * waiting briefly tells "the GPU died" apart from an ordinary error.
 *
 * @example
 * const loss = await gpuDeviceLossWithin(250)
 */
export function gpuDeviceLossWithin(ms: number): Promise<GpuDeviceLoss | null> {
  if (firstLoss)
    return Promise.resolve(firstLoss)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stop()
      resolve(firstLoss)
    }, ms)
    const stop = onGpuDeviceLost((loss) => {
      clearTimeout(timer)
      stop()
      resolve(loss)
    })
  })
}

/**
 * The one line the slide shows, e.g.
 * "The GPU device was lost (TensorFlow.js, reason: destroyed, Device was destroyed)."
 *
 * @example
 * describeGpuDeviceLoss({ runtime: 'ONNX Runtime', reason: 'unknown', detail: '' })
 * // 'The GPU device was lost (ONNX Runtime, reason: unknown).'
 */
export function describeGpuDeviceLoss(loss: GpuDeviceLoss): string {
  const detail = loss.detail.replace(/\s+/g, ' ').replace(/\.$/, '')
  return `The GPU device was lost (${loss.runtime}, reason: ${loss.reason}${detail ? `, ${detail}` : ''}).`
}

/** Forgets the recorded loss and the listeners (unit tests only). */
export function resetGpuDeviceWatch(): void {
  firstLoss = null
  listeners.clear()
}
