/**
 * The engine worker's scheduler: one run at a time (the models share one backend, and
 * two runs would only slow each other), with two priorities.
 *
 * - `now`: a run someone waits for (a slide was entered, Run was pressed).
 * - `ahead`: compute-ahead, the next slide's demos computed while the lecturer talks.
 *
 * A `now` run always goes first. When one arrives while an `ahead` run computes, the
 * `ahead` run is aborted (the engine stops between batches) and queued again at the
 * front of the `ahead` line, so it restarts once the `now` work is done. Its partial
 * work is lost: the methods keep no state between runs, and restarting costs at most
 * what was computed before the click.
 */

export type RunPriority = 'now' | 'ahead'

/** The abort reason of a pre-empted run: the queue runs it again later, nobody is told. */
export const PREEMPTED = 'preempted'

interface QueuedRun<T> {
  id: number
  payload: T
  priority: RunPriority
  controller: AbortController
}

/**
 * Runs `execute` for one queued run at a time, `now` before `ahead`, pre-empting
 * `ahead` runs when `now` work arrives.
 *
 * @example
 * const queue = new PriorityRunQueue<Request>((id, req, signal) => runRequest(req, env, { signal }))
 * queue.add(1, request, 'ahead') // computes while nobody waits
 * queue.add(2, other, 'now')     // aborts run 1, runs 2, then runs 1 again
 */
export class PriorityRunQueue<T> {
  private readonly waiting: QueuedRun<T>[] = []
  private current: QueuedRun<T> | null = null

  /**
   * @param execute runs one payload and reports its result or error itself. It must
   *   stop soon after `signal` aborts, and resolve to 'preempted' when it stopped
   *   because the reason was PREEMPTED (nothing reported: the queue runs it again), or
   *   'done' when it reported an outcome (a result that won the race with the abort
   *   counts as done).
   */
  constructor(private readonly execute: (id: number, payload: T, signal: AbortSignal) => Promise<'done' | 'preempted'>) {}

  /** Queues a run. A `now` run pre-empts a running `ahead` one. */
  add(id: number, payload: T, priority: RunPriority): void {
    this.waiting.push({ id, payload, priority, controller: new AbortController() })
    if (priority === 'now')
      this.preemptAhead()
    this.pump()
  }

  /** Someone now waits for an `ahead` run: it becomes `now` (and pre-empts other `ahead` work). */
  prioritize(id: number): void {
    if (this.current?.id === id) {
      this.current.priority = 'now'
      return
    }
    const run = this.waiting.find(r => r.id === id)
    if (!run || run.priority === 'now')
      return
    run.priority = 'now'
    this.preemptAhead()
    this.pump()
  }

  /**
   * Cancels a run: dropped from the queue, or aborted while it computes (the signal's
   * reason is then not PREEMPTED, so `execute` reports it cancelled).
   *
   * @returns false when the run was queued and is now dropped without `execute` ever
   *   seeing it (the caller must answer for it), true otherwise.
   */
  cancel(id: number): boolean {
    if (this.current?.id === id) {
      this.current.controller.abort('cancelled')
      return true
    }
    const i = this.waiting.findIndex(r => r.id === id)
    if (i >= 0)
      this.waiting.splice(i, 1)
    return i < 0
  }

  /** Ids waiting or running, in the order they will run (tests and debugging). */
  order(): number[] {
    const now = this.waiting.filter(r => r.priority === 'now')
    const ahead = this.waiting.filter(r => r.priority === 'ahead')
    return [...(this.current ? [this.current.id] : []), ...now.map(r => r.id), ...ahead.map(r => r.id)]
  }

  private preemptAhead() {
    if (this.current?.priority === 'ahead')
      this.current.controller.abort(PREEMPTED)
  }

  private next(): QueuedRun<T> | undefined {
    const i = this.waiting.findIndex(r => r.priority === 'now')
    return this.waiting.splice(i >= 0 ? i : 0, 1)[0]
  }

  private pump() {
    if (this.current)
      return
    const run = this.next()
    if (!run)
      return
    this.current = run
    void this.execute(run.id, run.payload, run.controller.signal)
      .catch(() => 'done' as const)
      .then((outcome) => {
        if (outcome === 'preempted') {
          // Back to the front of the ahead line, with a fresh signal.
          run.controller = new AbortController()
          const firstAhead = this.waiting.findIndex(r => r.priority === 'ahead')
          this.waiting.splice(firstAhead >= 0 ? firstAhead : this.waiting.length, 0, run)
        }
        this.current = null
        this.pump()
      })
  }
}
