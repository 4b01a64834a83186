/**
 * The deck's only door to the engine: one Web Worker that runs `engine/worker.ts`.
 * Components never load a model or compute an attribution; they send the CLI's
 * request JSON here and get the CLI's response back.
 *
 * - Identical requests share one run and one cached result (slides re-mount often).
 * - Cancelling aborts the run in the worker (the engine checks its AbortSignal
 *   between batches).
 * - A lost GPU device (the worker says `device-lost`) ends WebGPU for the session: the
 *   worker is replaced by one on WASM, the runs it had not answered are sent again, and
 *   their slides get a notice saying so.
 */
import type { AttributionRequest, AttributionResponse } from '../../engine/api'
import type { Progress } from '../../engine/core/types'
import type { RunPriority } from '../../engine/run-queue'
import type { FromWorker, HubLock, LoadProgress, ToWorker, WebGpuFallback, WorkerConfig } from '../../engine/worker-protocol'
import { requestKeyOf } from '../../engine/core/request-key'
import { ComputeAhead } from './compute-ahead'

export class EngineRunError extends Error {
  constructor(readonly code: string, message: string) {
    super(message)
    this.name = 'EngineRunError'
  }
}

export interface RunHandlers {
  onProgress?: (p: Progress) => void
  onLoad?: (l: LoadProgress) => void
  /** The backend that runs the model and, when it is not WebGPU, why. */
  onBackend?: (backend: string, fallback?: WebGpuFallback) => void
  /** A line for the slide about this run, e.g. that it was repeated on WASM after the GPU was lost. */
  onNotice?: (notice: string) => void
}

interface Pending {
  /** Kept to send the run again if its worker has to be replaced. */
  request: AttributionRequest
  /** 'ahead' until someone waits for it (compute-ahead), then 'now'. */
  priority: RunPriority
  /** The worker was told to cancel it: never sent again. */
  cancelled: boolean
  /** Given to every caller that joins the run (set when the GPU was lost). */
  notice: string | null
  promise: Promise<AttributionResponse>
  listeners: Set<RunHandlers>
  resolve: (r: AttributionResponse) => void
  reject: (e: Error) => void
  subscribers: number
}

const absolute = (url: string) => new URL(url, location.href).href

/** Stable JSON (sorted keys) so equal requests get equal cache keys. */
export const requestKey = requestKeyOf

// `models.lock.json` (written by `npm run models`) pins the hub commits and sha256 sums
// when present; a glob so that a checkout without it still builds.
const locks = import.meta.glob<HubLock>('../../models.lock.json', { eager: true, import: 'default' })
const hubLock: HubLock | null = Object.values(locks)[0] ?? null

/**
 * The deck's configuration, fixed at build time (dev, build and export honour it):
 * `VITE_OFFLINE=1` forbids the hub (models only from public/models/), `VITE_HUB_URL`
 * moves the hub (tests), `VITE_LLM_MODEL` names the LLM (default distilgpt2).
 *
 * @example
 * deckConfig().offline // true in `npm run export` and the e2e build
 */
export function deckConfig(): WorkerConfig & { llmModel: string, computeAhead: boolean } {
  const env = import.meta.env
  const params = new URLSearchParams(typeof location === 'undefined' ? '' : location.search)
  return {
    modelsBaseUrl: absolute(`${env.BASE_URL}models/`),
    offline: env.VITE_OFFLINE === '1' || env.VITE_OFFLINE === 'true',
    // Absent: the engine's default, https://huggingface.co.
    hubUrl: (env.VITE_HUB_URL as string | undefined) || undefined,
    hubLock,
    llmModel: env.VITE_LLM_MODEL || 'distilgpt2',
    // `?webgpu=off` shows the WASM fallback on a machine that has a GPU.
    disableWebGpu: params.get('webgpu') === 'off',
    // `?ahead=off`: no compute-ahead (`npm run bench:deck` measures the deck both ways).
    computeAhead: params.get('ahead') !== 'off',
  }
}

class EngineClient {
  private worker: Worker | null = null
  private nextId = 1
  private byId = new Map<number, Pending>()
  private byKey = new Map<string, { id: number, pending: Pending }>()
  private results = new Map<string, AttributionResponse>()
  /** A GPU device was lost: every worker from now on runs on WASM. */
  private webGpuLost = false
  /** The loss notice when it came while nothing ran: the next run's slide shows it. */
  private idleNotice: string | null = null
  /** Where each model's files came from, as the worker's load events say (any run, ahead too). */
  private modelSources = new Map<string, LoadProgress['source']>()
  private sourceListeners = new Set<(model: string, source: LoadProgress['source']) => void>()

  /**
   * Calls `listener` with where `model`'s files come from ('local' | 'cache' | 'hub'):
   * at once when a run has loaded it already, else at its first load event. Returns the
   * unsubscribe. No component probes the model folders itself.
   *
   * @example
   * const stop = engine.onModelSource('distilgpt2', source => (fromHub.value = source !== 'local'))
   */
  onModelSource(model: string, listener: (source: LoadProgress['source']) => void): () => void {
    const known = this.modelSources.get(model)
    if (known)
      listener(known)
    const wrapped = (m: string, source: LoadProgress['source']) => m === model && listener(source)
    this.sourceListeners.add(wrapped)
    return () => this.sourceListeners.delete(wrapped)
  }

  private ensureWorker(): Worker {
    if (this.worker)
      return this.worker
    const worker = new Worker(new URL('../../engine/worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      // Messages still queued from a worker we replaced are dropped.
      if (this.worker === worker)
        this.onMessage(event.data)
    }
    worker.onerror = (event) => {
      // A crashed worker (e.g. out of memory) fails every run in flight with a clear message.
      for (const pending of this.byId.values())
        pending.reject(new EngineRunError('internal', `The engine worker stopped: ${event.message || 'unknown error'}. Reload the slide to retry.`))
      this.byId.clear()
      this.byKey.clear()
      this.worker = null
    }
    const config: WorkerConfig = { ...deckConfig(), ...(this.webGpuLost ? { disableWebGpu: true, webGpuLost: true } : {}) }
    const message: ToWorker = { type: 'config', config }
    worker.postMessage(message)
    this.worker = worker
    return worker
  }

  /**
   * The GPU device is gone, and with it every model and tensor the worker had on it:
   * terminate the worker (the browser frees all of it), start one on WASM and send it
   * the unanswered runs, in their order. Each run is repeated at most once: the new
   * worker never touches WebGPU, so it cannot lose a device.
   */
  private restartOnWasm(lossMessage: string) {
    if (this.webGpuLost)
      return
    this.webGpuLost = true
    const old = this.worker
    if (old) {
      old.onmessage = null
      old.onerror = null
      old.terminate()
    }
    this.worker = null
    const unanswered = [...this.byId.entries()]
    if (unanswered.length === 0) {
      this.idleNotice = `${lossMessage} The demos now compute on WASM.`
      return
    }
    const notice = `${lossMessage} The run was repeated on WASM, which the demos use from now on.`
    const worker = this.ensureWorker()
    for (const [id, pending] of unanswered) {
      if (pending.cancelled) {
        pending.reject(new EngineRunError('cancelled', 'The run was cancelled.'))
        this.finish(id)
        continue
      }
      pending.notice = notice
      pending.listeners.forEach(l => l.onNotice?.(notice))
      const message: ToWorker = { type: 'run', id, request: pending.request, priority: pending.priority }
      worker.postMessage(message)
    }
  }

  private onMessage(msg: FromWorker) {
    if (msg.type === 'device-lost')
      return this.restartOnWasm(msg.message)
    const pending = this.byId.get(msg.id)
    if (!pending)
      return
    switch (msg.type) {
      case 'progress':
        pending.listeners.forEach(l => l.onProgress?.(msg.progress))
        break
      case 'load':
        pending.listeners.forEach(l => l.onLoad?.(msg.load))
        if (this.modelSources.get(pending.request.model) !== msg.load.source) {
          this.modelSources.set(pending.request.model, msg.load.source)
          this.sourceListeners.forEach(l => l(pending.request.model, msg.load.source))
        }
        break
      case 'backend':
        pending.listeners.forEach(l => l.onBackend?.(msg.backend, msg.fallback))
        break
      case 'result':
        pending.resolve(msg.response)
        this.finish(msg.id)
        break
      case 'error':
        pending.reject(new EngineRunError(msg.code, msg.message))
        this.finish(msg.id)
        break
    }
  }

  private finish(id: number) {
    this.byId.delete(id)
    for (const [key, entry] of this.byKey) {
      if (entry.id === id)
        this.byKey.delete(key)
    }
  }

  /** Sends a new run to the worker; its result is cached when it arrives. */
  private start(key: string, request: AttributionRequest, priority: RunPriority): { id: number, pending: Pending } {
    const id = this.nextId++
    let resolve!: (r: AttributionResponse) => void
    let reject!: (e: Error) => void
    const promise = new Promise<AttributionResponse>((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.then((r) => {
      this.results.set(key, r)
      if (priority === 'ahead')
        this.publishAheadDone(key)
      this.onSettled?.()
    }, () => {
      // A compute-ahead run that failed is not planned again (its slide shows the error).
      if (pending.priority === 'ahead' && !pending.cancelled)
        this.failedAhead.add(key)
      this.onSettled?.()
    })
    const pending: Pending = { request, priority, cancelled: false, notice: priority === 'now' ? this.idleNotice : null, promise, listeners: new Set(), resolve, reject, subscribers: 0 }
    if (priority === 'now')
      this.idleNotice = null
    const entry = { id, pending }
    this.byId.set(id, pending)
    this.byKey.set(key, entry)
    const message: ToWorker = { type: 'run', id, request, priority }
    this.ensureWorker().postMessage(message)
    return entry
  }

  /** Compute-ahead runs that failed: planned no more. */
  private readonly failedAhead = new Set<string>()
  /** Called when any run settles (the compute-ahead planner plans again). */
  onSettled: (() => void) | null = null

  /** Whether compute-ahead has nothing left to do for this request: cached, or it failed ahead. */
  settled(request: AttributionRequest): boolean {
    const key = requestKey(request)
    return this.results.has(key) || this.failedAhead.has(key)
  }

  private aheadDone = 0
  /**
   * How many runs started as compute-ahead have finished, on `<html data-computed-ahead>`,
   * and which (their request keys, in `globalThis.__computedAheadKeys`): what the e2e
   * tests and `npm run bench:deck` wait on before they enter the next slide.
   */
  private publishAheadDone(key: string) {
    this.aheadDone++
    const g = globalThis as { __computedAheadKeys?: string[] }
    ;(g.__computedAheadKeys ??= []).push(key)
    if (typeof document !== 'undefined')
      document.documentElement.dataset.computedAhead = String(this.aheadDone)
  }

  /** Asks the worker to stop a run; a later identical request starts a new one. */
  private cancelRun(id: number, pending: Pending) {
    pending.cancelled = true
    for (const [key, entry] of this.byKey) {
      if (entry.id === id)
        this.byKey.delete(key)
    }
    const cancel: ToWorker = { type: 'cancel', id }
    this.worker?.postMessage(cancel)
  }

  /**
   * Compute-ahead: the requests worth computing now because a slide soon needs them.
   * Each one not cached or running is sent at low priority, so it never delays a run
   * someone waits for (that pre-empts it in the worker); earlier compute-ahead that
   * nobody waits for and that is not in this list is cancelled. A slide that later asks
   * for one of them through `attribute` joins it, or finds it cached.
   *
   * @example
   * engine.computeAhead(nextSlideRequests) // while the current slide is shown
   */
  computeAhead(requests: AttributionRequest[], keep: AttributionRequest[] = []): void {
    const wanted = new Map(requests.map(r => [requestKey(r), r]))
    // The shown slide's runs are kept even before its frame joins them (`keep`).
    const kept = new Set(keep.map(requestKey))
    for (const [key, { id, pending }] of this.byKey) {
      if (pending.priority === 'ahead' && pending.subscribers === 0 && !pending.cancelled && !wanted.has(key) && !kept.has(key))
        this.cancelRun(id, pending)
    }
    for (const [key, request] of wanted) {
      if (!this.results.has(key) && !this.byKey.has(key))
        this.start(key, request, 'ahead')
    }
  }

  /** A finished result for this request, if one is cached. */
  cached(request: AttributionRequest): AttributionResponse | undefined {
    return this.results.get(requestKey(request))
  }

  /**
   * Runs a request in the worker. The same request already running is joined, not
   * restarted; a finished one is answered from the cache unless `fresh` is set. `signal` detaches this caller; the worker run is cancelled when no caller is left.
   *
   * @example
   * const res = await engine.attribute({ model: 'bow', method: 'Saliency', input: { type: 'text', text: 'I love it' } })
   */
  attribute(request: AttributionRequest, handlers: RunHandlers = {}, signal?: AbortSignal, opts: { fresh?: boolean } = {}): Promise<AttributionResponse> {
    const key = requestKey(request)
    const done = this.results.get(key)
    // `fresh`: the user pressed Run, so compute again rather than show the cached result.
    if (done && !opts.fresh)
      return Promise.resolve(done)
    let entry = this.byKey.get(key)
    if (entry && entry.pending.priority === 'ahead') {
      // Computed ahead and now awaited: it goes before any other compute-ahead.
      entry.pending.priority = 'now'
      const message: ToWorker = { type: 'prioritize', id: entry.id }
      this.worker?.postMessage(message)
    }
    entry ??= this.start(key, request, 'now')
    const { id, pending } = entry
    pending.listeners.add(handlers)
    pending.subscribers++
    if (pending.notice)
      handlers.onNotice?.(pending.notice)
    return new Promise<AttributionResponse>((resolve, reject) => {
      const detach = () => {
        pending.listeners.delete(handlers)
        pending.subscribers--
        if (pending.subscribers <= 0 && this.byId.has(id))
          this.cancelRun(id, pending)
        reject(new EngineRunError('cancelled', 'The run was cancelled.'))
      }
      if (signal?.aborted)
        return detach()
      signal?.addEventListener('abort', detach, { once: true })
      pending.promise.then(
        (r) => {
          signal?.removeEventListener('abort', detach)
          pending.listeners.delete(handlers)
          resolve(r)
        },
        (e) => {
          signal?.removeEventListener('abort', detach)
          pending.listeners.delete(handlers)
          reject(e)
        },
      )
    })
  }
}

/** The deck's single engine client. */
export const engine = new EngineClient()

/** The deck's compute-ahead planner (off with `?ahead=off`). */
export const computeAheadPlanner = new ComputeAhead(
  (next, current) => engine.computeAhead(next, current),
  typeof location !== 'undefined' && deckConfig().computeAhead,
  request => engine.settled(request),
)
engine.onSettled = () => computeAheadPlanner.replan()
