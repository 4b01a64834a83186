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
