// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import BaselinePicker from '../../../components/BaselinePicker.vue'
import { DEMOS, requestFor, TOKEN_BASELINES } from '../../../components/demo/catalog'

function picker(modelValue: number | string) {
  const updates: Array<number | string> = []
  const wrapper = mount(BaselinePicker, {
    props: { 'presets': TOKEN_BASELINES, modelValue, 'onUpdate:modelValue': (v: number | string) => updates.push(v) },
  })
  return { wrapper, updates }
}

describe('baselinePicker (the TextTokenInput slide\'s "absent" token)', () => {
  it('offers the presets and a custom entry, and starts on the current baseline', () => {
    const { wrapper } = picker(0)
    const options = wrapper.findAll('option').map(o => o.text())
    expect(options).toEqual(['id 0 "!"', 'id 50256 <|endoftext|>', 'id 220 "Ġ"', 'custom…'])
    expect((wrapper.get('[data-testid="baseline-select"]').element as HTMLSelectElement).value).toBe('0')
    expect(wrapper.text()).toContain('Captum\'s default')
    expect(wrapper.find('[data-testid="baseline-custom"]').exists()).toBe(false)
  })

  it('a preset sends its token id', async () => {
    const { wrapper, updates } = picker(0)
    await wrapper.get('[data-testid="baseline-select"]').setValue('50256')
    expect(updates).toEqual([50256])
  })

  it('a custom entry sends a token string, or an id when it is digits; blank sends nothing', async () => {
    const { wrapper, updates } = picker(0)
    await wrapper.get('[data-testid="baseline-select"]').setValue('custom')
    expect(updates).toEqual([]) // nothing typed yet
    const custom = wrapper.get('[data-testid="baseline-custom"]')
    await custom.setValue('Ġthe')
    await custom.setValue('   ')
    await custom.setValue('464')
    expect(updates).toEqual(['Ġthe', 464])
  })

  it('a custom baseline from the other window shows in the custom field', () => {
    const { wrapper } = picker('Ġthe')
    expect((wrapper.get('[data-testid="baseline-select"]').element as HTMLSelectElement).value).toBe('custom')
    expect((wrapper.get('[data-testid="baseline-custom"]').element as HTMLInputElement).value).toBe('Ġthe')
  })
})

describe('requestFor with a baseline', () => {
  const spec = DEMOS['llm-text-token-generate']!
  const models = { bow: 'bow', llm: 'distilgpt2' }

  it('the default baseline (0) sends no option, so the request and its baked result stay the same', () => {
    expect(requestFor(spec, models, { baselineToken: 0 })).toEqual(requestFor(spec, models))
    expect(requestFor(spec, models).options).not.toHaveProperty('baselineToken')
  })

  it('another baseline becomes options.baselineToken, beside the demo\'s own options', () => {
    const r = requestFor(spec, models, { baselineToken: 50256 })
    expect(r.options).toEqual({ ...spec.options, baselineToken: 50256 })
  })
})
