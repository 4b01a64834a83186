import type { AttributionRequest } from '../../../engine/api'
import { describe, expect, it } from 'vitest'
import { ComputeAhead, planAhead } from '../../../components/demo/compute-ahead'

const req = (text: string): AttributionRequest => ({ model: 'bow', method: 'Saliency', input: { type: 'text', text } })

describe('compute-ahead plan', () => {
  it('takes every request of the nearest later slide that has a demo', () => {
    const frames = [
      { page: 3, requests: () => [req('current')] },
      { page: 7, requests: () => [req('seed0')] },
      { page: 7, requests: () => [req('seed1')] },
      { page: 9, requests: () => [req('later')] },
    ]
    expect(planAhead(frames, 3).map(r => (r.input as { text: string }).text)).toEqual(['seed0', 'seed1'])
    expect(planAhead(frames, 7).map(r => (r.input as { text: string }).text)).toEqual(['later'])
    expect(planAhead(frames, 9)).toEqual([])
  })

  it('goes past slides whose results are in hand, but no further than its reach', () => {
    const frames = [
      { page: 19, requests: () => [req('bow-intro')] },
      { page: 20, requests: () => [req('bow-saliency')] },
      { page: 26, requests: () => [req('row1'), req('row2')] },
    ]
    const inHand = new Set(['bow-intro', 'bow-saliency', 'row1'])
    const ready = (r: AttributionRequest) => inHand.has((r.input as { text: string }).text)
    expect(planAhead(frames, 18, ready)).toEqual([req('row1'), req('row2')])
    expect(planAhead(frames, 18, ready, 7)).toEqual([])
    expect(planAhead(frames, 18, () => true)).toEqual([])
    expect(planAhead(frames, 18)).toEqual([req('bow-intro')])
  })

  it('plans again when a result arrives (replan), reaching the next slide that still needs work', async () => {
    const plans: string[][] = []
    const done = new Set<string>()
    const text = (rs: AttributionRequest[]) => rs.map(r => (r.input as { text: string }).text)
    const ahead = new ComputeAhead(next => plans.push(text(next)), true, r => done.has((r.input as { text: string }).text))
    ahead.register({ page: 2, requests: () => [req('a')] })
    ahead.register({ page: 3, requests: () => [req('b')] })
    ahead.setCurrent(1)
    await Promise.resolve()
    done.add('a')
    ahead.replan()
    await Promise.resolve()
    done.add('b')
    ahead.replan()
    await Promise.resolve()
    expect(plans).toEqual([['a'], ['b'], []])
  })

  it('skips frames without requests (invalid inputs, print mode)', () => {
    const frames = [{ page: 4, requests: () => null }, { page: 5, requests: () => [req('next')] }]
    expect(planAhead(frames, 1)).toEqual([req('next')])
  })

  it('hands over the shown slide\'s requests too, so its computed-ahead runs are kept while it joins them one by one', async () => {
    const submitted: Array<{ next: string[], current: string[] }> = []
    const text = (rs: AttributionRequest[]) => rs.map(r => (r.input as { text: string }).text)
    const ahead = new ComputeAhead((next, current) => submitted.push({ next: text(next), current: text(current) }))
    ahead.register({ page: 5, requests: () => [req('row1'), req('row2'), req('row3')] })
    ahead.register({ page: 6, requests: () => [req('after')] })
    ahead.setCurrent(4)
    await Promise.resolve()
    ahead.setCurrent(5)
    await Promise.resolve()
    expect(submitted).toEqual([
      { next: ['row1', 'row2', 'row3'], current: [] },
      { next: ['after'], current: ['row1', 'row2', 'row3'] },
    ])
  })

  it('submits one plan per burst of changes, and nothing when disabled', async () => {
    const plans: AttributionRequest[][] = []
    const ahead = new ComputeAhead(r => plans.push(r))
    ahead.register({ page: 2, requests: () => [req('a')] })
    ahead.register({ page: 3, requests: () => [req('b')] })
    ahead.setCurrent(1)
    await Promise.resolve()
    expect(plans).toEqual([[req('a')]])
    ahead.setCurrent(2)
    await Promise.resolve()
    expect(plans.at(-1)).toEqual([req('b')])

    const off: AttributionRequest[][] = []
    const disabled = new ComputeAhead(r => off.push(r), false)
    disabled.register({ page: 2, requests: () => [req('a')] })
    disabled.setCurrent(1)
    await Promise.resolve()
    expect(off).toEqual([])
  })
})
