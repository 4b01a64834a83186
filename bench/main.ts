/**
 * The bench page: the deck's engine worker (`engine/worker.ts`) with the deck's own
 * configuration (`deckConfig()`: models under `${BASE_URL}models/`, `?webgpu=off` for the
 * WASM fallback, offline), driven over the worker protocol, timed with `performance.now()`.
 *
 * It talks to the worker directly rather than through the deck's `EngineClient`: the
 * client's request cache would answer repeats without running them, and a run past its
 * time limit must be stoppable even when the engine cannot see its cancel until a long
 * pass ends (then this page terminates the worker; the client cannot).
 */
import type { FromWorker, ToWorker } from '../engine/worker-protocol'
import type { AdapterInfo, BenchOutcome, BenchPageApi, BenchRunSpec, MemoryReport, PageInfo } from './protocol'
import { deckConfig } from '../components/demo/engine-client'

interface Active {
  id: number
  onMessage: (msg: FromWorker) => void
}

let worker: Worker | null = null
let active: Active | null = null
let nextId = 1

function ensureWorker(): Worker {
  if (worker)
    return worker
  // The same module URL as components/demo/engine-client.ts, so Vite bundles the same worker.
  const w = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module' })
  w.onmessage = (event: MessageEvent<FromWorker>) => {
    const msg = event.data
    if (!active)
      return
    // A lost GPU device is not tied to a run: here it ends the run in flight (the deck's
    // client would restart on WASM; a benchmark reports it instead).
    if (msg.type === 'device-lost') {
      killWorker()
      active.onMessage({ type: 'error', id: active.id, code: 'backend', message: `GPU device lost (${msg.reason}): ${msg.message}` })
    }
    else if (msg.id === active.id) {
      active.onMessage(msg)
    }
  }
  w.onerror = (event) => {
    // As in the deck's client: an error event means the worker is gone (e.g. out of memory).
    killWorker()
    active?.onMessage({ type: 'error', id: active.id, code: 'internal', message: `The engine worker stopped: ${event.message || 'unknown error'}` })
  }
  // scoreMemo 0: every repeat of a request does the work again (the deck remembers rows).
  const config: ToWorker = { type: 'config', config: { ...deckConfig(), scoreMemo: 0 } }
  w.postMessage(config)
  worker = w
  return w
}

/** Terminates the worker; the next run starts a fresh one (cold: it reloads the model). */
function killWorker() {
  worker?.terminate()
  worker = null
}

/**
 * One request through the worker, one at a time. Past `limitS` it sends the engine's
 * cancel; if the engine has not stopped `graceS` later, the worker is terminated.
 */
function run(spec: BenchRunSpec): Promise<BenchOutcome> {
  const w = ensureWorker()
  const id = nextId++
  let progress = { done: 0, total: 0 }
  let fallback: string | undefined
  const t0 = performance.now()
  return new Promise<BenchOutcome>((resolve) => {
    let limitTimer: ReturnType<typeof setTimeout> | undefined
    let graceTimer: ReturnType<typeof setTimeout> | undefined
    let cancelledAt: number | null = null
    const finish = (outcome: BenchOutcome) => {
      clearTimeout(limitTimer)
      clearTimeout(graceTimer)
      active = null
      resolve(outcome)
    }
    const cancelled = (terminated: boolean): BenchOutcome =>
      ({ kind: 'cancelled', afterMs: (cancelledAt ?? performance.now()) - t0, done: progress.done, total: progress.total, terminated })
    active = {
      id,
      onMessage: (msg) => {
        if (msg.type === 'progress') {
          // Loading and target generation report their own phases; keep the method's rows.
          if (msg.progress.phase !== 'loading model' && msg.progress.phase !== 'generating target')
            progress = { done: msg.progress.done, total: msg.progress.total }
        }
        else if (msg.type === 'backend') {
          fallback = msg.fallback
        }
        else if (msg.type === 'result') {
          const wallMs = performance.now() - t0
          finish({ kind: 'done', wallMs, stats: msg.response.stats, ...(fallback ? { fallback } : {}) })
        }
        else if (msg.type === 'error') {
          finish(msg.code === 'cancelled' && cancelledAt !== null ? cancelled(false) : { kind: 'error', code: msg.code, message: msg.message })
        }
      },
    }
    limitTimer = setTimeout(() => {
      cancelledAt = performance.now()
      const cancel: ToWorker = { type: 'cancel', id }
      w.postMessage(cancel)
      graceTimer = setTimeout(() => {
        killWorker()
        finish(cancelled(true))
      }, spec.graceS * 1000)
    }, spec.limitS * 1000)
    const message: ToWorker = { type: 'run', id, request: spec.request }
    w.postMessage(message)
  })
}

async function adapterInfo(): Promise<AdapterInfo | null> {
  // Typed loosely: the WebGPU types are not part of this project's TypeScript libs.
  const gpu = (navigator as { gpu?: { requestAdapter: () => Promise<unknown> } }).gpu
  const adapter = await gpu?.requestAdapter().catch(() => null) as
    | { info?: Partial<AdapterInfo>, isFallbackAdapter?: boolean } | null | undefined
  if (!adapter)
    return null
  const info = adapter.info ?? {}
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null,
  }
}

async function info(): Promise<PageInfo> {
  return {
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated ?? false,
    userAgent: navigator.userAgent,
    adapter: await adapterInfo(),
  }
}

interface UaMemory { bytes: number, breakdown: Array<{ bytes: number, attribution: Array<{ scope?: string }> }> }

/** The page's memory as Chromium measures it: the worker's share holds the ORT session (its wasm heap and the weights). */
async function memory(): Promise<MemoryReport | null> {
  const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<UaMemory> }).measureUserAgentSpecificMemory
  if (!measure || !globalThis.crossOriginIsolated)
    return null
  const m = await measure.call(performance)
  const workerBytes = m.breakdown.filter(b => b.attribution.some(a => a.scope === 'DedicatedWorkerGlobalScope')).reduce((s, b) => s + b.bytes, 0)
  return { totalBytes: m.bytes, workerBytes }
}

const api: BenchPageApi = { info, run, memory }
;(globalThis as { bench?: BenchPageApi }).bench = api
document.body.dataset.ready = 'true'
