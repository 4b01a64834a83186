/**
 * The badge's note when a demo does not compute on WebGPU (ModelStatus.vue): the slide
 * must say why in a word ('no WebGPU', 'WebGPU off', 'GPU lost'), and say nothing on WebGPU.
 */
import type { Component } from 'vue'
import type { HostNode } from '../components/harness'
import { beforeAll, describe, expect, it } from 'vitest'
import { flush, loadComponent, mount } from '../components/harness'

let ModelStatus: Component
beforeAll(async () => {
  ModelStatus = await loadComponent('ModelStatus.vue')
})

describe('backend note', () => {
  it('says why the forward is not on WebGPU, with the longer reason as its tooltip', async () => {
    const { root, props } = mount(ModelStatus, { name: 'bow', phase: 'ready', mode: 'live', backend: 'wasm', backendFallback: 'no-adapter' })
    await flush()
    const note = () => root.byTestId('backend-note')
    expect(root.byTestId('backend-badge').textContent).toBe('WASM')
    expect(note().textContent).toBe('no WebGPU')
    expect(String(note().props.title)).toMatch(/no GPU adapter/)
    props.backendFallback = 'no-api'
    await flush()
    expect(note().textContent).toBe('no WebGPU')
    props.backendFallback = 'off'
    await flush()
    expect(note().textContent).toBe('WebGPU off')
    props.backendFallback = 'lost'
    await flush()
    expect(note().textContent).toBe('GPU lost')
    expect(note().props['data-fallback']).toBe('lost')
  })

  it('is absent on WebGPU, without a reason, and without a badge', async () => {
    const notes = (root: HostNode) => root.findAll(n => n.props['data-testid'] === 'backend-note')
    const { root, props } = mount(ModelStatus, { backend: 'webgpu' as string | null, backendFallback: 'lost' as string | null })
    await flush()
    expect(notes(root)).toHaveLength(0)
    props.backend = 'wasm'
    props.backendFallback = null
    await flush()
    expect(notes(root)).toHaveLength(0)
    props.backend = null
    props.backendFallback = 'no-api'
    await flush()
    expect(notes(root)).toHaveLength(0)
  })
})
