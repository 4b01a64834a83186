/**
 * What the bench page (`bench/main.ts`) offers to the Node driver
 * (`scripts/bench-browser.ts`) as `window.bench`: plain JSON in and out, so that
 * Playwright's `page.evaluate` can carry it.
 */
import type { AttributionRequest, RunStats } from '../engine/api'

/** The page's WebGPU adapter, as `GPUAdapter.info` describes it (null: no adapter). */
export interface AdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  /** Chromium marks SwiftShader (a CPU implementation of WebGPU) as a fallback adapter. */
  isFallbackAdapter: boolean | null
}

export interface PageInfo {
  hardwareConcurrency: number
  /** False on the deck's own servers (no COOP/COEP): ONNX Runtime Web then runs single-threaded. */
  crossOriginIsolated: boolean
  userAgent: string
  adapter: AdapterInfo | null
}

export interface BenchRunSpec {
  request: AttributionRequest
  /** Cancel the run (the engine's cancel message) after this many seconds. */
  limitS: number
  /**
   * After a cancel, how long to wait for the engine to stop before terminating the
   * worker (a single long pass only checks its AbortSignal when it ends).
   */
  graceS: number
}

export type BenchOutcome
  /** `fallback`: why the engine did not use WebGPU, when it says (`WebGpuFallback`). */
  = | { kind: 'done', wallMs: number, stats: RunStats, fallback?: string }
  /** `done`/`total` are the engine's progress counters (rows) when the limit hit. */
    | { kind: 'cancelled', afterMs: number, done: number, total: number, terminated: boolean }
    | { kind: 'error', code: string, message: string }

/**
 * `performance.measureUserAgentSpecificMemory()` (cross-origin isolated pages only), split
 * into the engine worker and the rest; null where the browser does not offer it.
 */
export interface MemoryReport {
  totalBytes: number
  workerBytes: number
}

/** `window.bench` on the bench page. */
export interface BenchPageApi {
  info: () => Promise<PageInfo>
  run: (spec: BenchRunSpec) => Promise<BenchOutcome>
  memory: () => Promise<MemoryReport | null>
}
