import type { FromWorker, ToWorker, WorkerConfig } from './worker-protocol'
/// <reference lib="webworker" />
/**
 * The engine in a Web Worker, so the slide never blocks. It receives the CLI's request
 * JSON and answers with the CLI's response JSON, plus progress, load and backend events.
 */
import { AttributionError } from './core/errors'
import { locateModel } from './models/hub-locate'
import { runRequest } from './run'

declare const self: DedicatedWorkerGlobalScope

let config: WorkerConfig | null = null
const running = new Map<number, AbortController>()
// One run at a time: the models share one backend, and two runs would only slow each other.
let queue: Promise<unknown> = Promise.resolve()

const post = (msg: FromWorker) => self.postMessage(msg)

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data
  if (msg.type === 'config') {
    config = msg.config
    return
  }
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort()
    return
  }
  const { id, request } = msg
  const controller = new AbortController()
  running.set(id, controller)
  queue = queue.then(async () => {
    try {
      if (!config)
        throw new AttributionError('bad-request', 'The engine worker got a run before its configuration.')
      if (controller.signal.aborted)
        throw new AttributionError('cancelled', 'The attribution was cancelled.')
      const cfg = config
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
        ortWasmPaths: cfg.ortWasmPaths,
        tfWasmPaths: cfg.tfWasmPaths,
        preferWebGpu: !cfg.disableWebGpu,
        onLoad: load => post({ type: 'load', id, load }),
        onBackend: backend => post({ type: 'backend', id, backend }),
      }, {
        signal: controller.signal,
        onProgress: progress => post({ type: 'progress', id, progress }),
      })
      post({ type: 'result', id, response })
    }
    catch (e) {
      const code = e instanceof AttributionError ? e.code : 'internal'
      post({ type: 'error', id, code, message: (e as Error).message ?? String(e) })
    }
    finally {
      running.delete(id)
    }
  })
}
