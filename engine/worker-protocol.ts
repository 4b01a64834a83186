/**
 * Messages between the deck (main thread) and the engine's Web Worker. The request and
 * response are exactly the CLI's JSON contract (`engine/api.ts`).
 */
import type { AttributionRequest, AttributionResponse } from './api'
import type { AttributionErrorCode } from './core/errors'
import type { Progress } from './core/types'
import type { HubLock } from './models/hub-config'
import type { RunPriority } from './run-queue'

export type { HubLock }

/**
 * Where the browser finds models; sent once, before any run. The runtimes' binaries are
 * the worker's own business (`engine/models/wasm-assets.ts`).
 */
export interface WorkerConfig {
  /** Absolute URL prefix of `public/models/` (honours the deck's base path). */
  modelsBaseUrl: string
  /** Forbid loading models from the Hugging Face hub (`VITE_OFFLINE=1`). */
  offline: boolean
  /** Disable WebGPU (tests of the WASM fallback, or a lost device). */
  disableWebGpu?: boolean
  /** Set when the deck restarted the worker because a GPU device was lost (implies `disableWebGpu`). */
  webGpuLost?: boolean
  /** Hugging Face hub host for models missing from `public/models/` (`VITE_HUB_URL`; absent: https://huggingface.co). */
  hubUrl?: string
  /** Scored LLM rows the engine remembers (default 20 000); the browser bench sets 0 to time real work. */
  scoreMemo?: number
  /** `models.lock.json` when the deck was built with one: pinned commits and sha256 sums. */
  hubLock?: HubLock | null
}

export type ToWorker
  = | { type: 'config', config: WorkerConfig }
    /** `priority` 'ahead': compute-ahead, pre-empted by any 'now' run (default 'now'). */
    | { type: 'run', id: number, request: AttributionRequest, priority?: RunPriority }
    /** Someone now waits for this 'ahead' run: it becomes 'now'. */
    | { type: 'prioritize', id: number }
    | { type: 'cancel', id: number }

/** Model loading: bytes fetched so far (from our server, the Cache Storage or the hub). */
export interface LoadProgress {
  file: string
  loaded: number
  total: number
  source: 'local' | 'cache' | 'hub'
}

/**
 * Why a run did not use WebGPU, for the slide's badge: `no-api` (no `navigator.gpu`),
 * `no-adapter` (WebGPU present but no GPU adapter), `off` (`?webgpu=off`), `lost` (a
 * GPU device was lost earlier in this session).
 */
export type WebGpuFallback = 'no-api' | 'no-adapter' | 'off' | 'lost'

export type FromWorker
  = | { type: 'progress', id: number, progress: Progress }
    | { type: 'load', id: number, load: LoadProgress }
    | { type: 'backend', id: number, backend: string, fallback?: WebGpuFallback }
    /**
     * A GPU device died (`GPUDevice.lost`). Not tied to one run: the deck restarts the
     * worker on WASM and re-sends the runs it had not answered. `message` is for the slide.
     */
    | { type: 'device-lost', reason: string, message: string }
    | { type: 'result', id: number, response: AttributionResponse }
    | { type: 'error', id: number, code: AttributionErrorCode | 'internal', message: string }
