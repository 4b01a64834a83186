import type { AttributionRequest } from '../../engine/api'
/**
 * Compute-ahead: while a slide is shown, the engine computes the demos of the next
 * slide that has any, at low priority, so that entering it shows the result at once.
 *
 * Each mounted `DemoFrame` registers its slide number and its requests here (Slidev
 * mounts the neighbouring slides at once and every slide 3 s after load). On every
 * slide change, and when frames come and go, the plan is made again and handed to the
 * engine client, which cancels compute-ahead that is no longer wanted. A click or a
 * slide entry always pre-empts it in the worker (`engine/run-queue.ts`).
 */

/** One mounted demo: its slide (1-based, as Slidev counts) and what it would run. */
export interface AheadFrame {
  page: number
  /** null while its inputs are invalid, or when it must not compute ahead (print mode). */
  requests: () => AttributionRequest[] | null
}

/**
 * The requests to compute ahead when slide `current` is shown: those of the nearest
 * later slide with a frame that has requests (slides without demos are skipped, so the
 * title slide already warms the model for the first demo).
 *
 * @example
 * planAhead([{ page: 7, requests: () => [fa] }, { page: 9, requests: () => [svs] }], 5) // [fa]
 */
export function planAhead(frames: Iterable<AheadFrame>, current: number): AttributionRequest[] {
  let nextPage = Infinity
  const byPage = new Map<number, AttributionRequest[]>()
  for (const frame of frames) {
    if (frame.page <= current)
      continue
    const requests = frame.requests()
    if (!requests?.length)
      continue
    byPage.set(frame.page, [...(byPage.get(frame.page) ?? []), ...requests])
    nextPage = Math.min(nextPage, frame.page)
  }
  return byPage.get(nextPage) ?? []
}

/** Every request of the frames on slide `page` (the slide on show). */
export function requestsOn(frames: Iterable<AheadFrame>, page: number): AttributionRequest[] {
  return [...frames].filter(f => f.page === page).flatMap(f => f.requests() ?? [])
}

/**
 * The deck's compute-ahead planner: frames register, `setCurrent` is called on every
 * slide change, and `submit` (the engine client's `computeAhead`) gets each new plan.
 *
 * @example
 * const ahead = new ComputeAhead(reqs => engine.computeAhead(reqs))
 * const unregister = ahead.register({ page: 7, requests: () => [request] })
 * ahead.setCurrent(6) // submits [request]
 */
export class ComputeAhead {
  private readonly frames = new Set<AheadFrame>()
  private current: number | null = null
  private scheduled = false

  /**
   * `submit(next, current)`: `next` is what to compute ahead; `current` the shown slide's
   * requests, which compute-ahead started and the slide now waits for one after another
   * (a multi-request demo joins its runs one by one): those must not be cancelled.
   */
  constructor(private readonly submit: (next: AttributionRequest[], current: AttributionRequest[]) => void, private readonly enabled = true) {}

  register(frame: AheadFrame): () => void {
    this.frames.add(frame)
    this.schedule()
    return () => {
      this.frames.delete(frame)
      this.schedule()
    }
  }

  setCurrent(page: number): void {
    this.current = page
    this.schedule()
  }

  /** Plans once per burst of changes (Slidev mounts many frames in one tick). */
  private schedule() {
    if (!this.enabled || this.scheduled)
      return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      if (this.current !== null)
        this.submit(planAhead(this.frames, this.current), requestsOn(this.frames, this.current))
    })
  }
}
