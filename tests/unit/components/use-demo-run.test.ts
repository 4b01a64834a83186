import type { DemoRunDeps } from '../../../components/demo/use-demo-run'
import type { AttributionRequest, AttributionResponse, BowResponse } from '../../../engine/api'
import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'
import { useDemoRun } from '../../../components/demo/use-demo-run'

const request = (text: string): AttributionRequest => ({ model: 'bow', method: 'Saliency', input: { type: 'text', text } })
function response(score: number, backend = 'wasm'): BowResponse {
  return {
    kind: 'bow',
    words: ['love'],
    scores: [score],
    target: 1,
    probabilities: [0.2, 0.8],
    convergenceDelta: null,
    stats: { forwardCalls: 1, rows: 1, ms: 1, backend, threads: 2 },
  }
}

/** A stand-in engine: each attribute call waits until the test answers it. */
function standInEngine() {
  const calls: Array<{ request: AttributionRequest, resolve: (r: AttributionResponse) => void, reject: (e: Error) => void, signal?: AbortSignal, fresh?: boolean }> = []
  const cache = new Map<string, AttributionResponse>()
  const engine: DemoRunDeps['engine'] = {
    cached: r => cache.get(JSON.stringify(r)),
    attribute: (r, _handlers, signal, opts) => new Promise((resolve, reject) => {
      calls.push({ request: r, resolve, reject, signal, fresh: opts?.fresh })
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('The run was cancelled.'), { code: 'cancelled' })))
    }),
  }
  return { engine, calls, cache }
}

function setup(baked: AttributionResponse | null = null) {
  const { engine, calls, cache } = standInEngine()
  const list = ref<AttributionRequest[] | null>([request('I love it')])
  const inputError = ref<string | null>(null)
  const shared = ref<{ key: string, responses: AttributionResponse[] } | null>(null)
  const demo = useDemoRun(list, inputError, { engine, findBaked: async () => baked, shared, now: () => 0 })
  return { demo, calls, cache, list, inputError, shared }
}

const settle = () => new Promise(resolve => setTimeout(resolve, 0))

describe('useDemoRun (the demo frame without its view)', () => {
  it('shows a cached result at once, live, without a run', async () => {
    const { demo, calls, cache } = setup(response(9))
    cache.set(JSON.stringify(request('I love it')), response(1))
    await demo.run()
    expect(calls).toHaveLength(0)
    expect(demo.state.value).toBe('done')
    expect(demo.recorded.value).toBe(false)
    expect(demo.origin.value).toBe('cache')
    expect((demo.result.value as BowResponse).scores).toEqual([1])
  })

  it('shows a baked result as recorded, and the Run button computes live anyway', async () => {
    const { demo, calls } = setup(response(9))
    await demo.run()
    expect(demo.recorded.value).toBe(true)
    expect(demo.origin.value).toBe('baked')
    expect((demo.result.value as BowResponse).scores).toEqual([9])
    const live = demo.run({ live: true })
    await settle()
    expect(calls[0]!.fresh).toBe(true)
    calls[0]!.resolve(response(2))
    await live
    expect(demo.recorded.value).toBe(false)
    expect(demo.origin.value).toBe('live')
    expect((demo.result.value as BowResponse).scores).toEqual([2])
  })

  it('the latest run wins: a late answer of an older run is dropped', async () => {
    const { demo, calls, list } = setup()
    const first = demo.run()
    await settle()
    list.value = [request('I hate it')]
    const second = demo.run()
    await settle()
    expect(calls[0]!.signal!.aborted).toBe(true)
    calls[1]!.resolve(response(-3))
    await Promise.all([first, second])
    calls[0]!.resolve(response(5)) // too late: ignored
    await settle()
    expect((demo.result.value as BowResponse).scores).toEqual([-3])
    expect(demo.stale.value).toBe(false)
  })

  it('cancel keeps the previous result on the slide', async () => {
    const { demo, calls } = setup()
    const first = demo.run()
    await settle()
    calls[0]!.resolve(response(4))
    await first
    const again = demo.run({ live: true })
    await settle()
    demo.cancel()
    await again
    expect(demo.state.value).toBe('done')
    expect(demo.message.value).toBe('Cancelled.')
    expect((demo.result.value as BowResponse).scores).toEqual([4])
  })

  it('reports invalid inputs and missing models as their own states', async () => {
    const { demo, calls, inputError } = setup()
    inputError.value = 'Name a target.'
    await demo.run()
    expect(demo.state.value).toBe('error')
    expect(demo.message.value).toBe('Name a target.')
    inputError.value = null
    const run = demo.run()
    await settle()
    calls[0]!.reject(Object.assign(new Error('no model folder'), { code: 'missing-model' }))
    await run
    expect(demo.state.value).toBe('missing-model')
  })

  it('mirrors a live result to the other windows, and shows one mirrored from them', async () => {
    const { demo, calls, shared, list } = setup()
    const run = demo.run()
    await settle()
    calls[0]!.resolve(response(7))
    await run
    expect(shared.value?.responses).toHaveLength(1)
    list.value = [request('other')]
    shared.value = { key: demo.currentKey.value!, responses: [response(8)] }
    await nextTick()
    expect((demo.result.value as BowResponse).scores).toEqual([8])
    expect(demo.origin.value).toBe('shared')
  })

  it('hands out the answers of a several-request run as they come, in request order', async () => {
    const { demo, calls, list } = setup()
    list.value = [request('a'), request('b'), request('c')]
    const run = demo.run()
    await settle()
    expect(demo.partial.value).toBeNull()
    calls[0]!.resolve(response(1))
    await settle()
    expect(demo.state.value).toBe('running')
    expect(demo.partial.value!.map(r => (r as BowResponse).scores[0])).toEqual([1])
    calls[1]!.resolve(response(2))
    await settle()
    expect(demo.partial.value!.map(r => (r as BowResponse).scores[0])).toEqual([1, 2])
    calls[2]!.resolve(response(3))
    await run
    // Done: the whole list is the result, and nothing is partial any more.
    expect(demo.partial.value).toBeNull()
    expect(demo.results.value!.map(r => (r as BowResponse).scores[0])).toEqual([1, 2, 3])
    // A cancelled run leaves no partial answers behind.
    const again = demo.run({ live: true })
    await settle()
    calls[3]!.resolve(response(4))
    await settle()
    expect(demo.partial.value).toHaveLength(1)
    demo.cancel()
    await again
    expect(demo.partial.value).toBeNull()
    expect(demo.results.value!.map(r => (r as BowResponse).scores[0])).toEqual([1, 2, 3])
  })

  it('a run cancelled before any result keeps the answers that had come in', async () => {
    const { demo, calls, list } = setup()
    list.value = [request('a'), request('b')]
    const run = demo.run()
    await settle()
    calls[0]!.resolve(response(5))
    await settle()
    demo.cancel()
    await run
    expect(demo.state.value).toBe('idle')
    expect(demo.message.value).toBe('Cancelled.')
    expect(demo.result.value).toBeNull()
    expect(demo.partial.value!.map(r => (r as BowResponse).scores[0])).toEqual([5])
    // The next run starts from nothing again.
    const again = demo.run()
    await settle()
    expect(demo.partial.value).toBeNull()
    calls[2]!.resolve(response(6))
    await settle()
    calls[3]!.resolve(response(7))
    await again
    expect(demo.state.value).toBe('done')
    expect(demo.results.value!.map(r => (r as BowResponse).scores[0])).toEqual([6, 7])
  })
})
