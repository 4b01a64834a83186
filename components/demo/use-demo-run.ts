import type { Ref } from 'vue'
import type { AttributionRequest, AttributionResponse } from '../../engine/api'
import type { Progress } from '../../engine/core/types'
import type { LoadProgress, WebGpuFallback } from '../../engine/worker-protocol'
import type { RunHandlers } from './engine-client'
/**
 * A demo's run state, without any view: where its result comes from (the engine's
 * cache, then a baked result, then a live run), progress, the backend that ran, and the
 * presenter/audience mirror. `DemoFrame.vue` is its view and wires it to Slidev's slide
 * events; the unit tests drive it with a stand-in engine.
 *
 * The rules:
 * - the latest call wins: a new run detaches the previous one (the worker cancels a run
 *   nobody waits for), and a late answer of an older run is dropped;
 * - a cancelled run loses nothing: the previous result stays;
 * - a live result is mirrored to the other windows (`shared`), and a mirrored result for
 *   the current inputs is shown unless this window is computing.
 */
import { computed, ref, shallowRef, watch } from 'vue'
import { requestKeyOf } from '../../engine/core/request-key'

export type DemoState = 'idle' | 'running' | 'done' | 'error' | 'missing-model'

/** What `useDemoRun` needs from the deck; the tests pass stand-ins. */
export interface DemoRunDeps {
  engine: {
    attribute: (request: AttributionRequest, handlers: RunHandlers, signal?: AbortSignal, opts?: { fresh?: boolean }) => Promise<AttributionResponse>
    cached: (request: AttributionRequest) => AttributionResponse | undefined
  }
  /** The baked (recorded at build time) result of a request, or null. */
  findBaked: (request: AttributionRequest) => Promise<AttributionResponse | null>
  /** The last finished result, mirrored between the deck's windows. */
  shared: Ref<{ key: string, responses: AttributionResponse[] } | null>
  /** A clock in ms (performance.now in the deck). */
  now?: () => number
}

/** The key of a list of requests: equal lists, equal keys. */
export function runListKey(list: AttributionRequest[]): string {
  return list.map(requestKeyOf).join('\n')
}

/**
 * The run state of one demo over `runList` (one request, or several for comparisons).
 *
 * @example
 * const demo = useDemoRun(computed(() => [request]), ref(null), { engine, findBaked, shared })
 * await demo.run()           // cached, baked or live
 * await demo.run({ live: true }) // the Run button: always computes
 * demo.state.value           // 'done'
 */
/** Where a shown result came from (see `origin` in useDemoRun). */
export type ResultOrigin = 'cache' | 'baked' | 'live' | 'shared'

export function useDemoRun(runList: Ref<AttributionRequest[] | null>, inputError: Ref<string | null>, deps: DemoRunDeps) {
  const clock = deps.now ?? (() => performance.now())
  const state = ref<DemoState>('idle')
  const result = shallowRef<AttributionResponse | null>(null)
  const results = shallowRef<AttributionResponse[] | null>(null)
  /**
   * While a live run of several requests goes on: the answers so far, in request order
   * (a table can fill in row by row); after a cancel with no earlier result, what had
   * come in; null otherwise.
   */
  const partial = shallowRef<AttributionResponse[] | null>(null)
  const resultKey = ref<string | null>(null)
  const recorded = ref(false)
  const message = ref('')
  const progress = ref<Progress | null>(null)
  const load = ref<LoadProgress | null>(null)
  const backend = ref<string | null>(null)
  /** Why the last live run did not use WebGPU (the badge's note); null when unknown. */
  const backendFallback = ref<WebGpuFallback | null>(null)
  const threads = ref<number | null>(null)
  /** The scorer of the shown LLM result ('attribution-graph' | 'full-logits'), if known. */
  const scorer = ref<string | null>(null)
  /**
   * Where the shown result came from: 'cache' (computed earlier in this page, e.g. ahead
   * of the slide), 'baked' (recorded at build time), 'live' (this frame waited for a
   * run), 'shared' (the presenter/audience twin ran it); null before any.
   */
  const origin = ref<ResultOrigin | null>(null)
  const notice = ref('')
  const startedAt = ref(0)
  const now = ref(0)
  let controller: AbortController | null = null
  let runSeq = 0
  let timer: ReturnType<typeof setInterval> | undefined

  const currentKey = computed(() => runList.value ? runListKey(runList.value) : null)

  function show(key: string, responses: AttributionResponse[], from: ResultOrigin, fallback: WebGpuFallback | null = null) {
    const isRecorded = from === 'baked'
    origin.value = from
    partial.value = null
    results.value = responses
    result.value = responses[0] ?? null
    resultKey.value = key
    recorded.value = isRecorded
    backend.value = responses[0]?.stats.backend ?? backend.value
    threads.value = responses[0]?.stats.threads ?? null
    scorer.value = responses[0]?.stats.scorer ?? null
    // Only a run of this frame knows why it missed WebGPU; recorded or shared results do not.
    backendFallback.value = fallback
    state.value = 'done'
  }

  watch(deps.shared, (value) => {
    if (value && value.key === currentKey.value && value.key !== resultKey.value && state.value !== 'running')
      show(value.key, value.responses, 'shared')
  })

  function finish(seq: number, key: string, responses: AttributionResponse[], from: ResultOrigin, fallback: WebGpuFallback | null = null) {
    if (seq === runSeq)
      show(key, responses, from, fallback)
  }

  async function run(opts: { live?: boolean } = {}) {
    const list = runList.value
    if (!list || inputError.value) {
      state.value = 'error'
      message.value = inputError.value ?? 'The inputs are not complete.'
      return
    }
    // Latest click wins: detach the previous run (the worker cancels it if nobody waits).
    controller?.abort()
    const ctl = new AbortController()
    controller = ctl
    const seq = ++runSeq
    const key = runListKey(list)
    message.value = ''
    notice.value = ''

    if (!opts.live) {
      // A result computed earlier (or ahead) is shown at once, live; then a baked one.
      const cached = list.map(r => deps.engine.cached(r))
      if (cached.every(Boolean))
        return finish(seq, key, cached as AttributionResponse[], 'cache')
      const baked = await Promise.all(list.map(r => deps.findBaked(r)))
      if (seq !== runSeq)
        return
      if (baked.every(Boolean))
        return finish(seq, key, baked as AttributionResponse[], 'baked')
    }

    state.value = 'running'
    partial.value = null
    progress.value = null
    load.value = null
    startedAt.value = clock()
    now.value = startedAt.value
    clearInterval(timer)
    timer = setInterval(() => (now.value = clock()), 250)
    let fallback: WebGpuFallback | null = null
    try {
      const responses: AttributionResponse[] = []
      for (const [i, request] of list.entries()) {
        // Progress over the whole list: each request is one equal share of the bar.
        const response = await deps.engine.attribute(request, {
          onProgress: p => seq === runSeq && (progress.value = list.length === 1
            ? p
            : { done: i * 1000 + Math.round(1000 * p.done / Math.max(1, p.total)), total: list.length * 1000, phase: `${i + 1}/${list.length} ${request.method}${p.phase && p.phase !== request.method ? ` · ${p.phase}` : ''}` }),
          onLoad: l => seq === runSeq && (load.value = l),
          onBackend: (b, why) => {
            if (seq !== runSeq)
              return
            backend.value = b
            fallback = why ?? null
            backendFallback.value = fallback
          },
          onNotice: n => seq === runSeq && (notice.value = n),
        }, ctl.signal, { fresh: opts.live })
        responses.push(response)
        if (seq === runSeq && i < list.length - 1)
          partial.value = responses.slice()
      }
      finish(seq, key, responses, 'live', fallback)
      deps.shared.value = { key, responses }
    }
    catch (e) {
      if (seq !== runSeq)
        return
      const code = (e as { code?: string }).code
      if (code === 'cancelled') {
        // Nothing is lost: the previous result stays on the slide; without one, the rows
        // that had come in stay (a progressive frame shows them).
        if (result.value)
          partial.value = null
        state.value = result.value ? 'done' : 'idle'
        message.value = 'Cancelled.'
      }
      else if (code === 'missing-model') {
        partial.value = null
        state.value = 'missing-model'
        message.value = (e as Error).message
      }
      else {
        partial.value = null
        state.value = 'error'
        message.value = (e as Error).message
      }
    }
    finally {
      if (seq === runSeq)
        clearInterval(timer)
    }
  }

  function cancel() {
    controller?.abort()
  }

  /** Stops the clock and detaches a running run (the frame is unmounted). */
  function dispose() {
    clearInterval(timer)
    controller?.abort()
  }

  /** The result on show is for other inputs than the current ones. */
  const stale = computed(() => state.value === 'done' && resultKey.value !== currentKey.value)
  const elapsedMs = computed(() => state.value === 'running' ? now.value - startedAt.value : null)

  return { state, result, results, partial, resultKey, currentKey, recorded, origin, message, progress, load, backend, backendFallback, threads, scorer, notice, elapsedMs, stale, run, cancel, dispose }
}
