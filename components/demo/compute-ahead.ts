import type { AttributionRequest } from '../../engine/api'
/**
 * Compute-ahead: while a slide is shown, the engine computes the demos of the next
 * slide that has any, at low priority, so that entering it shows the result at once;
 * once they are in hand, those of the slide after, up to AHEAD_REACH slides ahead.
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

/** How many slides past the shown one compute-ahead may reach. */
export const AHEAD_REACH = 8

/**
 * The requests to compute ahead when slide `current` is shown: those of the nearest
 * later slide (within `reach`) whose demos are not all `ready` yet. Slides without demos
 * are skipped, so the title slide already warms the model for the first demo; slides
 * whose results are in hand are skipped too, so that while the lecturer talks over quick
 * slides (the BoW ones) the worker goes on to the next heavy one (the faithfulness table).
 *
 * @example
 * planAhead([{ page: 7, requests: () => [fa] }, { page: 9, requests: () => [svs] }], 5) // [fa]
 * planAhead([{ page: 7, requests: () => [fa] }, { page: 9, requests: () => [svs] }], 5, r => r === fa) // [svs]
 */
export function planAhead(frames: Iterable<AheadFrame>, current: number, ready: (request: AttributionRequest) => boolean = () => false, reach = AHEAD_REACH): AttributionRequest[] {
  const byPage = new Map<number, AttributionRequest[]>()
  for (const frame of frames) {
    if (frame.page <= current || frame.page > current + reach)
      continue
    const requests = frame.requests()
    if (!requests?.length)
      continue
    byPage.set(frame.page, [...(byPage.get(frame.page) ?? []), ...requests])
  }
  for (const page of [...byPage.keys()].sort((a, b) => a - b)) {
    const requests = byPage.get(page)!
    if (!requests.every(ready))
      return requests
  }
  return []
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
  constructor(
    private readonly submit: (next: AttributionRequest[], current: AttributionRequest[]) => void,
    private readonly enabled = true,
    /** Whether a request's result is in hand (cached, or its compute-ahead failed: not retried). */
    private readonly ready: (request: AttributionRequest) => boolean = () => false,
  ) {}

  /** Plans again: a computed-ahead result arrived, so the next slide may be in hand now. */
  replan(): void {
    this.schedule()
  }

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
        this.submit(planAhead(this.frames, this.current, this.ready), requestsOn(this.frames, this.current))
    })
  }
}
