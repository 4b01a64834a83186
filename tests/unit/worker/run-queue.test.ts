import { describe, expect, it } from 'vitest'
import { PREEMPTED, PriorityRunQueue } from '../../../engine/run-queue'

/**
 * A stand-in for the worker's `execute`: each run takes `steps` ticks and checks its
 * signal between them, as the engine checks between batches.
 */
function recordingQueue(steps = 3) {
  const log: string[] = []
  const tick = () => new Promise(resolve => setTimeout(resolve, 1))
  const queue = new PriorityRunQueue<string>(async (id, name, signal) => {
    log.push(`start ${name}`)
    for (let i = 0; i < steps; i++) {
      await tick()
      if (signal.aborted) {
        log.push(`${signal.reason === PREEMPTED ? 'preempted' : 'cancelled'} ${name}`)
        return signal.reason === PREEMPTED ? 'preempted' : 'done'
      }
    }
    log.push(`done ${name}`)
    return 'done'
  })
  const idle = async () => {
    while (queue.order().length)
      await tick()
  }
  return { queue, log, idle }
}

describe('priorityRunQueue (the worker scheduler)', () => {
  it('runs one at a time, in arrival order within a priority', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'a', 'now')
    queue.add(2, 'b', 'now')
    await idle()
    expect(log).toEqual(['start a', 'done a', 'start b', 'done b'])
  })

  it('runs now work before waiting ahead work', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'first', 'now')
    queue.add(2, 'ahead', 'ahead')
    queue.add(3, 'click', 'now')
    expect(queue.order()).toEqual([1, 3, 2])
    await idle()
    expect(log).toEqual(['start first', 'done first', 'start click', 'done click', 'start ahead', 'done ahead'])
  })

  it('pre-empts a computing ahead run for a click, then runs it again from the start', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'ahead', 'ahead')
    await new Promise(resolve => setTimeout(resolve, 2))
    queue.add(2, 'click', 'now')
    await idle()
    expect(log).toEqual(['start ahead', 'preempted ahead', 'start click', 'done click', 'start ahead', 'done ahead'])
  })

  it('a pre-empted run goes back before later ahead work', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'next-slide', 'ahead')
    queue.add(2, 'later', 'ahead')
    await new Promise(resolve => setTimeout(resolve, 2))
    queue.add(3, 'click', 'now')
    await idle()
    expect(log.filter(l => l.startsWith('start'))).toEqual(['start next-slide', 'start click', 'start next-slide', 'start later'])
  })

  it('prioritize makes a waiting ahead run go next, and never pre-empts now work', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'click', 'now')
    queue.add(2, 'ahead-a', 'ahead')
    queue.add(3, 'ahead-b', 'ahead')
    queue.prioritize(3)
    expect(queue.order()).toEqual([1, 3, 2])
    await idle()
    expect(log).not.toContain('preempted click')
    expect(log.filter(l => l.startsWith('start'))).toEqual(['start click', 'start ahead-b', 'start ahead-a'])
  })

  it('a prioritized running ahead run is no longer pre-empted', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'ahead', 'ahead')
    await new Promise(resolve => setTimeout(resolve, 2))
    queue.prioritize(1) // the slide was entered: someone waits for it now
    queue.add(2, 'click', 'now')
    await idle()
    expect(log).toEqual(['start ahead', 'done ahead', 'start click', 'done click'])
  })

  it('cancel drops a waiting run (the caller answers for it) and aborts a running one', async () => {
    const { queue, log, idle } = recordingQueue()
    queue.add(1, 'running', 'now')
    queue.add(2, 'waiting', 'ahead')
    expect(queue.cancel(2)).toBe(false)
    await new Promise(resolve => setTimeout(resolve, 2))
    expect(queue.cancel(1)).toBe(true)
    await idle()
    expect(log).toEqual(['start running', 'cancelled running'])
  })
})
