import type { AttributionRequest } from './api'
import type { AttributionErrorCode } from './core/errors'
import type { FromWorker, ToWorker, WebGpuFallback, WorkerConfig } from './worker-protocol'
/// <reference lib="webworker" />
/**
 * The engine in a Web Worker, so the slide never blocks. It receives the CLI's request
 * JSON and answers with the CLI's response JSON, plus progress, load and backend events.
 *
 * A lost GPU device is reported at once (`device-lost`), whether a run is going or not:
 * nothing computed on that device can be saved, so the deck replaces this worker with
 * one on WASM and repeats the runs it had not answered (`components/demo/engine-client.ts`).
 */
import { AttributionError } from './core/errors'
import { webGpuAdapterAvailable, webGpuApi } from './core/platform'
import { describeGpuDeviceLoss, gpuDeviceLossWithin, onGpuDeviceLost } from './models/gpu-device-watch'
import { locateModel } from './models/hub-locate'
import { workerWasmAssets } from './models/wasm-assets'
import { runRequest } from './run'
import { PREEMPTED, PriorityRunQueue } from './run-queue'

declare const self: DedicatedWorkerGlobalScope

let config: WorkerConfig | null = null
/** The runtimes' binaries, served beside this worker's bundle. */
const wasm = workerWasmAssets(self.location.href)

const post = (msg: FromWorker) => self.postMessage(msg)

onGpuDeviceLost(loss => post({ type: 'device-lost', reason: loss.reason, message: describeGpuDeviceLoss(loss) }))

/** Errors that say something about the input or the model files, never about the GPU. */
const USER_ERRORS: ReadonlySet<string> = new Set<AttributionErrorCode>(['bad-request', 'empty-input', 'too-long', 'template', 'missing-model', 'unsupported', 'cancelled'])
/**
 * How long a failed run waits for `device.lost` before its error is reported as is.
 * Nothing orders a read-back's rejection ("The Device was lost before mapping was
 * resolved") against `lost` resolving; both come from the same event, so 250 ms is
 * ample, and short next to a run.
 */
const LOSS_GRACE_MS = 250

let fallback: Promise<WebGpuFallback | undefined> | null = null

/** Why this worker's runs do not use WebGPU (undefined when they may), asked once. */
function webGpuFallback(cfg: WorkerConfig): Promise<WebGpuFallback | undefined> {
  fallback ??= (async () => {
    if (cfg.webGpuLost)
      return 'lost'
    if (cfg.disableWebGpu)
      return 'off'
    if (!webGpuApi())
      return 'no-api'
    return (await webGpuAdapterAvailable()) ? undefined : 'no-adapter'
  })()
  return fallback
}

/** Computes one run and posts its result or error; see PriorityRunQueue for pre-emption. */
async function execute(id: number, request: AttributionRequest, signal: AbortSignal): Promise<'done' | 'preempted'> {
  try {
    if (!config)
      throw new AttributionError('bad-request', 'The engine worker got a run before its configuration.')
    const cfg = config
    const why = await webGpuFallback(cfg)
    const response = await runRequest(request, {
      // public/models/<name>/ first, then the hub (unless offline), else `npm run models`.
      locate: name => locateModel(name, {
        modelsBaseUrl: cfg.modelsBaseUrl,
        offline: cfg.offline,
        hubUrl: cfg.hubUrl,
        lock: cfg.hubLock,
        onLoad: load => post({ type: 'load', id, load }),
      }),
      offline: cfg.offline,
      ortWasmPaths: wasm.ortWasmPaths,
      tfWasmPaths: wasm.tfWasmPaths,
      preferWebGpu: !cfg.disableWebGpu,
      scoreMemo: cfg.scoreMemo,
      onLoad: load => post({ type: 'load', id, load }),
      onBackend: backend => post({ type: 'backend', id, backend, ...(backend !== 'webgpu' && why ? { fallback: why } : {}) }),
    }, {
      signal,
      onProgress: progress => post({ type: 'progress', id, progress }),
    })
    // Not every runner reports its backend while it runs (the ORT one does not): say it
    // here too, so the badge can tell why this run was not on WebGPU.
    const ran = response.stats?.backend
    if (ran && ran !== 'webgpu' && why)
      post({ type: 'backend', id, backend: ran, fallback: why })
    post({ type: 'result', id, response })
    return 'done'
  }
  catch (e) {
    const code = e instanceof AttributionError ? e.code : 'internal'
    if (code === 'cancelled' && signal.reason === PREEMPTED)
      return 'preempted'
    // A run that died with its GPU device: `device-lost` (posted by the listener while
    // we wait) goes first, so the deck repeats the run on WASM and ignores this error.
    const onGpu = config !== null && (await webGpuFallback(config)) === undefined
    const loss = onGpu && !USER_ERRORS.has(code) ? await gpuDeviceLossWithin(LOSS_GRACE_MS) : null
    if (loss)
      post({ type: 'error', id, code: 'backend', message: `${describeGpuDeviceLoss(loss)} Reload the page to start again.` })
    else
      post({ type: 'error', id, code, message: (e as Error).message ?? String(e) })
    return 'done'
  }
}

const queue = new PriorityRunQueue<AttributionRequest>(execute)

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data
  switch (msg.type) {
    case 'config':
      config = msg.config
      break
    case 'run':
      queue.add(msg.id, msg.request, msg.priority ?? 'now')
      break
    case 'prioritize':
      queue.prioritize(msg.id)
      break
    case 'cancel':
      // A run still waiting never reaches `execute`: answer for it here.
      if (!queue.cancel(msg.id))
        post({ type: 'error', id: msg.id, code: 'cancelled', message: 'The attribution was cancelled.' })
      break
  }
}
