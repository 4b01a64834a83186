// @vitest-environment happy-dom
/**
 * The badge's note when a demo does not compute on WebGPU (ModelStatus.vue): the slide
 * must say why in a word ('no WebGPU', 'WebGPU off', 'GPU lost'), and say nothing on WebGPU.
 */
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import ModelStatus from '../../../components/ModelStatus.vue'

describe('backend note', () => {
  it('says why the forward is not on WebGPU, with the longer reason as its tooltip', async () => {
    const w = mount(ModelStatus, { props: { name: 'bow', phase: 'ready', mode: 'live', backend: 'wasm', backendFallback: 'no-adapter' } })
    const note = () => w.get('[data-testid="backend-note"]')
    expect(w.get('[data-testid="backend-badge"]').element.textContent).toBe('WASM')
    expect(note().element.textContent).toBe('no WebGPU')
    expect(note().attributes('title')).toMatch(/no GPU adapter/)
    await w.setProps({ backendFallback: 'no-api' })
    expect(note().element.textContent).toBe('no WebGPU')
    await w.setProps({ backendFallback: 'off' })
    expect(note().element.textContent).toBe('WebGPU off')
    await w.setProps({ backendFallback: 'lost' })
    expect(note().element.textContent).toBe('GPU lost')
    expect(note().attributes('data-fallback')).toBe('lost')
  })

  it('is absent on WebGPU, without a reason, and without a badge', async () => {
    const w = mount(ModelStatus, { props: { backend: 'webgpu', backendFallback: 'lost' } })
    const notes = () => w.findAll('[data-testid="backend-note"]')
    expect(notes()).toHaveLength(0)
    await w.setProps({ backend: 'wasm', backendFallback: null })
    expect(notes()).toHaveLength(0)
    await w.setProps({ backend: null, backendFallback: 'no-api' })
    expect(notes()).toHaveLength(0)
  })
})
