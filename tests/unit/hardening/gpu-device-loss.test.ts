/**
 * A lost GPU device (`GPUDevice.lost`), the logic outside the browser:
 *  - engine/models/gpu-device-watch.ts reports each watched device's loss once, with a
 *    one-line message for the slide;
 *  - components/demo/engine-client.ts, told `device-lost` by its worker, replaces the
 *    worker by one configured for WASM, sends it the unanswered runs once (never the
 *    cancelled ones), ignores the old worker's late messages and gives the slide a notice.
 * The real browser path (Chromium's WebGPU, `device.destroy()`) is tests/e2e/device-lost.spec.ts.
 */
import type { AttributionRequest, AttributionResponse } from '../../../engine/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { describeGpuDeviceLoss, gpuDeviceLoss, gpuDeviceLossWithin, onGpuDeviceLost, resetGpuDeviceWatch, watchGpuDevice } from '../../../engine/models/gpu-device-watch'
import { FakeWorker, withFakeWorker } from '../fake-worker'

/** A device whose `lost` promise the test resolves, as the browser would. */
function fakeDevice() {
  let lose!: (info: { reason: string, message: string }) => void
  const lost = new Promise<{ reason: string, message: string }>((resolve) => {
    lose = resolve
  })
  return { device: { lost }, lose }
}

const tick = () => new Promise(resolve => setTimeout(resolve, 0))

describe('gpu device watch', () => {
  beforeEach(resetGpuDeviceWatch)

  it('reports a watched device\'s loss once, with the runtime and the browser\'s reason', async () => {
    const seen: string[] = []
    onGpuDeviceLost(loss => seen.push(describeGpuDeviceLoss(loss)))
    const { device, lose } = fakeDevice()
    watchGpuDevice(device, 'TensorFlow.js')
    watchGpuDevice(device, 'TensorFlow.js') // the same device again: still one report
    expect(gpuDeviceLoss()).toBeNull()
    lose({ reason: 'destroyed', message: 'Device was destroyed.' })
    await tick()
    expect(seen).toEqual(['The GPU device was lost (TensorFlow.js, reason: destroyed, Device was destroyed).'])
    expect(gpuDeviceLoss()).toEqual({ runtime: 'TensorFlow.js', reason: 'destroyed', detail: 'Device was destroyed.' })
  })

  it('ignores what is not a device, and words an empty reason as unknown', async () => {
    watchGpuDevice(undefined, 'ONNX Runtime')
    watchGpuDevice({} as never, 'ONNX Runtime')
    const { device, lose } = fakeDevice()
    watchGpuDevice(device, 'ONNX Runtime')
    lose({ reason: '', message: '' })
    await tick()
    expect(describeGpuDeviceLoss(gpuDeviceLoss()!)).toBe('The GPU device was lost (ONNX Runtime, reason: unknown).')
  })

  it('gpuDeviceLossWithin: null when no loss comes in time, the loss when it does', async () => {
    expect(await gpuDeviceLossWithin(5)).toBeNull()
    const { device, lose } = fakeDevice()
    watchGpuDevice(device, 'TensorFlow.js')
    const waiting = gpuDeviceLossWithin(10_000)
    lose({ reason: 'unknown', message: 'GPU process crashed' })
    expect((await waiting)?.detail).toBe('GPU process crashed')
    // Once lost, the answer is immediate.
    expect((await gpuDeviceLossWithin(10_000))?.reason).toBe('unknown')
  })
})

const request = (text: string): AttributionRequest => ({ model: 'bow', method: 'Saliency', input: { type: 'text', text } })
const response = (backend: string) => ({ stats: { backend } }) as unknown as AttributionResponse
const LOST = 'The GPU device was lost (TensorFlow.js, reason: destroyed, Device was destroyed).'

describe('engine client after a lost GPU device', () => {
  const { freshEngineClient: freshClient } = withFakeWorker()

  it('repeats the run in progress (and the queued one) on a new WASM worker, and tells the slide', async () => {
    const engine = await freshClient()
    const notices: string[] = []
    const backends: Array<[string, string | undefined]> = []
    const first = engine.attribute(request('I love this game!'), { onNotice: n => notices.push(n), onBackend: (b, why) => backends.push([b, why]) })
    const queued = engine.attribute(request('I hate it'))
    const [gpuWorker] = FakeWorker.all
    expect(gpuWorker!.config.disableWebGpu).toBe(false)
    const [run1, run2] = gpuWorker!.runs()
    gpuWorker!.say({ type: 'backend', id: run1!.id, backend: 'webgpu' })

    gpuWorker!.say({ type: 'device-lost', reason: 'destroyed', message: LOST })

    expect(gpuWorker!.terminated).toBe(true)
    expect(FakeWorker.all).toHaveLength(2)
    const wasmWorker = FakeWorker.all[1]!
    expect(wasmWorker.config).toMatchObject({ disableWebGpu: true, webGpuLost: true })
    // Same ids, same requests, same order: the callers' promises are still the ones waiting.
    expect(wasmWorker.runs()).toEqual([{ type: 'run', ...run1 }, { type: 'run', ...run2 }])
    expect(notices).toEqual([`${LOST} The run was repeated on WASM, which the demos use from now on.`])

    // The old worker's late answer (e.g. the error of the interrupted run) is dropped.
    gpuWorker!.say({ type: 'error', id: run1!.id, code: 'backend', message: 'mapAsync failed' })
    wasmWorker.say({ type: 'backend', id: run1!.id, backend: 'wasm', fallback: 'lost' })
    wasmWorker.say({ type: 'result', id: run1!.id, response: response('wasm') })
    wasmWorker.say({ type: 'result', id: run2!.id, response: response('wasm') })
    expect((await first).stats.backend).toBe('wasm')
    expect((await queued).stats.backend).toBe('wasm')
    expect(backends).toEqual([['webgpu', undefined], ['wasm', 'lost']])

    // A second loss report changes nothing: there is no GPU left to lose.
    wasmWorker.say({ type: 'device-lost', reason: 'unknown', message: LOST })
    expect(wasmWorker.terminated).toBe(false)
    expect(FakeWorker.all).toHaveLength(2)
  })

  it('a loss between runs: the next run starts a WASM worker and its slide gets the notice', async () => {
    const engine = await freshClient()
    const done = engine.attribute(request('good'))
    const gpuWorker = FakeWorker.all[0]!
    gpuWorker.say({ type: 'result', id: gpuWorker.runs()[0]!.id, response: response('webgpu') })
    await done

    gpuWorker.say({ type: 'device-lost', reason: 'destroyed', message: LOST })
    expect(gpuWorker.terminated).toBe(true)
    expect(FakeWorker.all).toHaveLength(1) // nothing to repeat: no worker until it is needed

    const notices: string[] = []
    const next = engine.attribute(request('bad'), { onNotice: n => notices.push(n) })
    const wasmWorker = FakeWorker.all[1]!
    expect(wasmWorker.config.webGpuLost).toBe(true)
    expect(notices).toEqual([`${LOST} The demos now compute on WASM.`])
    wasmWorker.say({ type: 'result', id: wasmWorker.runs()[0]!.id, response: response('wasm') })
    expect((await next).stats.backend).toBe('wasm')

    // The notice belongs to that one run, not to every later one.
    const later: string[] = []
    const third = engine.attribute(request('fine'), { onNotice: n => later.push(n) })
    wasmWorker.say({ type: 'result', id: wasmWorker.runs()[1]!.id, response: response('wasm') })
    await third
    expect(later).toEqual([])
  })

  it('a run cancelled before the loss is not repeated', async () => {
    const engine = await freshClient()
    const ctl = new AbortController()
    const cancelled = engine.attribute(request('stop me'), {}, ctl.signal)
    const kept = engine.attribute(request('keep me'))
    const gpuWorker = FakeWorker.all[0]!
    ctl.abort()
    await expect(cancelled).rejects.toMatchObject({ code: 'cancelled' })
    expect(gpuWorker.sent.some(m => m.type === 'cancel')).toBe(true)

    gpuWorker.say({ type: 'device-lost', reason: 'destroyed', message: LOST })
    const wasmWorker = FakeWorker.all[1]!
    expect(wasmWorker.runs().map(r => r.request.input)).toEqual([{ type: 'text', text: 'keep me' }])
    wasmWorker.say({ type: 'result', id: wasmWorker.runs()[0]!.id, response: response('wasm') })
    expect((await kept).stats.backend).toBe('wasm')
  })
})
