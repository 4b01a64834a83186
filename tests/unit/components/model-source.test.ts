// @vitest-environment happy-dom
/**
 * The hub notice comes from the engine's load events, not from a probe: the client
 * remembers where each model's files came from (from any run, computed ahead too),
 * `useModelSource` follows it, and `ModelHubNotice` shows a line only for the hub or its
 * browser cache.
 */
import type { ModelSource, ModelSourceFeed } from '../../../components/demo/use-model-source'
import type { AttributionRequest } from '../../../engine/api'
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { useModelSource } from '../../../components/demo/use-model-source'
import ModelHubNotice from '../../../components/ModelHubNotice.vue'
import { FakeWorker, withFakeWorker } from '../fake-worker'

const llm = (text: string): AttributionRequest => ({ model: 'distilgpt2', method: 'FeatureAblation', input: { type: 'text', text }, target: ' golf' })

describe('modelHubNotice', () => {
  it('says nothing while the source is unknown or local', () => {
    for (const source of [null, 'local'] as const)
      expect(mount(ModelHubNotice, { props: { model: 'distilgpt2', source } }).find('[data-testid="hub-notice"]').exists()).toBe(false)
  })

  it('names the model and `npm run models` for a hub download, and says "cache" for a cached one', () => {
    const hub = mount(ModelHubNotice, { props: { model: 'distilgpt2', source: 'hub' } }).get('[data-testid="hub-notice"]')
    expect(hub.text()).toContain('distilgpt2 is not in public/models/')
    expect(hub.text()).toContain('downloaded from the Hugging Face hub')
    expect(hub.text()).toContain('npm run models')
    const cache = mount(ModelHubNotice, { props: { model: 'distilgpt2', source: 'cache' } }).get('[data-testid="hub-notice"]')
    expect(cache.text()).toContain('browser\'s cache')
    expect(cache.attributes('data-source')).toBe('cache')
  })
})

describe('useModelSource', () => {
  it('follows the feed for its model and unsubscribes when its component goes', async () => {
    const listeners = new Set<(s: ModelSource) => void>()
    const feed: ModelSourceFeed = {
      onModelSource: (_model, l) => {
        listeners.add(l)
        return () => listeners.delete(l)
      },
    }
    const Probe = defineComponent({
      setup() {
        const source = useModelSource('distilgpt2', feed)
        return () => h('span', source.value ?? 'unknown')
      },
    })
    const wrapper = mount(Probe)
    expect(wrapper.text()).toBe('unknown')
    listeners.forEach(l => l('hub'))
    await nextTick()
    expect(wrapper.text()).toBe('hub')
    wrapper.unmount()
    expect(listeners.size).toBe(0)
  })
})

describe('engine client: where a model came from', () => {
  const { freshEngineClient } = withFakeWorker()

  it('takes it from any run\'s load event and tells later subscribers at once', async () => {
    const engine = await freshEngineClient()
    const early: ModelSource[] = []
    engine.onModelSource('distilgpt2', s => early.push(s))
    void engine.attribute(llm('Dave lives in Palm Coast'), {}).catch(() => {})
    const worker = FakeWorker.all[0]!
    const [run] = worker.runs()
    // The config carries no runtime binaries: the worker imports its own.
    expect(Object.keys(worker.config)).not.toContain('ortWasmPaths')
    expect(Object.keys(worker.config)).not.toContain('tfWasmPaths')
    worker.say({ type: 'load', id: run!.id, load: { file: 'onnx/model.onnx', loaded: 1, total: 10, source: 'hub' } })
    worker.say({ type: 'load', id: run!.id, load: { file: 'onnx/model.onnx', loaded: 5, total: 10, source: 'hub' } })
    expect(early).toEqual(['hub'])
    const late: ModelSource[] = []
    engine.onModelSource('distilgpt2', s => late.push(s))
    expect(late).toEqual(['hub'])
    const other: ModelSource[] = []
    engine.onModelSource('bow', s => other.push(s))
    expect(other).toEqual([])
  })
})
