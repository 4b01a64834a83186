import type { AttributionRequest } from '../../engine/api'
import type { FromWorker, ToWorker, WorkerConfig } from '../../engine/worker-protocol'
import { afterEach, beforeEach, vi } from 'vitest'

/** Stands in for the browser's `Worker`: records what the client sends, replays what a worker says. */
export class FakeWorker {
  static all: FakeWorker[] = []
  sent: ToWorker[] = []
  terminated = false
  onmessage: ((event: { data: FromWorker }) => void) | null = null
  onerror: ((event: { message: string }) => void) | null = null
  constructor() {
    FakeWorker.all.push(this)
  }

  postMessage(msg: ToWorker) {
    this.sent.push(msg)
  }

  terminate() {
    this.terminated = true
  }

  /** A message from this worker, as the browser would deliver it. */
  say(msg: FromWorker) {
    this.onmessage?.({ data: msg })
  }

  get config(): WorkerConfig {
    const msg = this.sent.find(m => m.type === 'config')
    return (msg as { config: WorkerConfig }).config
  }

  runs(): Array<{ id: number, request: AttributionRequest }> {
    return this.sent.filter(m => m.type === 'run') as Array<{ type: 'run', id: number, request: AttributionRequest }>
  }
}

/**
 * In a `describe`: every test gets `FakeWorker` as the global `Worker` and a deck URL as
 * `location`; `freshEngineClient()` imports a new engine client (its worker, cache and
 * flags are module state).
 */
export function withFakeWorker(): { freshEngineClient: () => Promise<typeof import('../../components/demo/engine-client')['engine']> } {
  beforeEach(() => {
    vi.stubGlobal('Worker', FakeWorker)
    vi.stubGlobal('location', new URL('http://127.0.0.1:4173/'))
  })
  afterEach(() => {
    vi.unstubAllGlobals()
  })
  return {
    freshEngineClient: async () => {
      vi.resetModules()
      FakeWorker.all = []
      return (await import('../../components/demo/engine-client')).engine
    },
  }
}
