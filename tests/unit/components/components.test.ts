// @vitest-environment happy-dom
import type { DOMWrapper, VueWrapper } from '@vue/test-utils'
import type { Component } from 'vue'
/**
 * Rendering and event tests of the presentational components, compiled by Vue's own
 * plugin and mounted with @vue/test-utils in happy-dom. Numbers come from the Captum 0.8
 * reference files in ../shared when present, and from small hand-made inputs otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { mount as vtuMount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { chooseDecimals, formatFixed } from '../../../components/lib/format'
import { attributionColor, maxAbs, rampColor, toCss } from '../../../components/lib/palette'
import { spearman } from '../../../components/lib/stats'
import MethodComparison from '../../../components/MethodComparison.vue'
import ModelStatus from '../../../components/ModelStatus.vue'
import RunControls from '../../../components/RunControls.vue'
import SeqAttrBars from '../../../components/SeqAttrBars.vue'
import TemplateEditor from '../../../components/TemplateEditor.vue'
import TokenHeatmap from '../../../components/TokenHeatmap.vue'
import WordAttribution from '../../../components/WordAttribution.vue'
import { haveShared, sharedPath } from '../../shared-reference'

const componentsDir = path.resolve(__dirname, '../../../components')

const gpt2Ref = sharedPath('captum-reference/gpt2-tiny/reference.json')
const bowRef = sharedPath('captum-reference/bow/reference.json')
const HAVE_GPT2_REF = haveShared('captum-reference/gpt2-tiny/reference.json')
const HAVE_BOW_REF = haveShared('captum-reference/bow/reference.json')

interface LlmCase { case: string, method: string, seq_attr: number[], token_attr: number[][] | null, input_tokens: string[], output_tokens: string[] }

type Root = VueWrapper<any>
type El = DOMWrapper<Element>

/** Mounts `comp` with `props`; any Vue warning fails the test. */
function mount(comp: Component, props: Record<string, unknown>): Root {
  return vtuMount(comp, {
    props,
    global: {
      config: {
        warnHandler: (msg: string) => {
          throw new Error(`Vue warning: ${msg}`)
        },
      },
    },
  })
}

/** The one element with this data-testid (fails when there are none or several). */
function byTestId(root: Root | El, id: string): El {
  const found = root.findAll(`[data-testid="${id}"]`)
  if (found.length !== 1)
    throw new Error(`expected one [data-testid="${id}"], found ${found.length}`)
  return found[0]!
}

/** The element's own inline style, as the DOM holds it. */
const style = (n: El) => (n.element as HTMLElement).style

const values = (nodes: El[]) => nodes.map(n => Number(n.attributes('data-value')))
const cells = (root: Root, testId: string) => byTestId(root, testId).findAll('td[data-value]')
const disabled = (n: El) => (n.element as HTMLButtonElement).disabled

describe('tokenHeatmap', () => {
  const input = { inputTokens: ['Dave', 'Ġlives', '<img src=x onerror=alert(1)>'], outputTokens: ['playing', 'golf'], values: [[0.5, -0.25, 0], [-0.5, 0.125, 1e-9]] }

  it('renders one cell per (output, input) with full-precision data-value and shared decimals', () => {
    const root = mount(TokenHeatmap, input)
    const td = cells(root, 'token-heatmap')
    expect(values(td)).toEqual(input.values.flat())
    // max |v| = 0.5 → 3 decimals for every cell, so the columns line up.
    expect(td.map(n => n.text())).toEqual(['0.500', '-0.250', '0.000', '-0.500', '0.125', '0.000'])
    expect(td[1]!.attributes('title')).toBe('input "Ġlives" → output "playing": -0.25')
  })

  it('colours symmetrically about 0 on ±max|value| (red −, green +, neutral 0)', () => {
    const root = mount(TokenHeatmap, input)
    const bg = cells(root, 'token-heatmap').map(n => style(n).background)
    expect(bg[0]).toBe(toCss(rampColor(1))) // +max → darkest green
    expect(bg[3]).toBe(toCss(rampColor(0))) // −max → darkest red
    expect(bg[2]).toBe('rgb(255, 255, 191)') // 0 → neutral
    expect(bg[1]).toBe(attributionColor(-0.25, 0.5))
  })

  it('shows tokens as text with the Ġ marker made visible, never as HTML', () => {
    const root = mount(TokenHeatmap, input)
    const heads = root.findAll('th').map(n => n.text())
    expect(heads).toContain('␣lives')
    expect(heads).toContain('<img src=x onerror=alert(1)>')
    expect(root.findAll('img')).toHaveLength(0)
  })

  it('refuses a values matrix that does not match the tokens', () => {
    const root = mount(TokenHeatmap, { ...input, values: [[1, 2, 3]] })
    expect(root.findAll('[data-testid="token-heatmap"]')).toHaveLength(0)
    expect(root.findAll('[role="alert"]')[0]!.element.textContent).toMatch(/1 rows but there are 2 output tokens/)
  })

  it('explains a null tokenAttr (Lime / KernelShap) instead of drawing a table', () => {
    const root = mount(TokenHeatmap, { ...input, values: null })
    expect(root.findAll('[data-testid="token-heatmap"]')).toHaveLength(0)
    expect(byTestId(root, 'no-token-attr').element.textContent).toMatch(/Lime and KernelShap/)
  })

  describe.skipIf(!HAVE_GPT2_REF)('with the Captum 0.8 gpt2-tiny reference (skipped when ../shared is absent)', () => {
    it('shows FeatureAblation token_attr (16 inputs × 8 outputs) exactly', () => {
      const ref = JSON.parse(readFileSync(gpt2Ref, 'utf8')) as { results: LlmCase[] }
      const fa = ref.results.find(r => r.method === 'FeatureAblation')!
      const root = mount(TokenHeatmap, { inputTokens: fa.input_tokens, outputTokens: fa.output_tokens, values: fa.token_attr! })
      const td = cells(root, 'token-heatmap')
      expect(td).toHaveLength(fa.input_tokens.length * fa.output_tokens.length)
      expect(values(td)).toEqual(fa.token_attr!.flat())
      const d = chooseDecimals(maxAbs(fa.token_attr!))
      expect(td.map(n => n.text())).toEqual(fa.token_attr!.flat().map(v => formatFixed(v, d)))
      // The legend spans exactly ±max|token_attr|, like Captum's imshow(vmin, vmax).
      expect(root.findAll('[aria-label="colour scale"]')[0]!.element.textContent).toContain(formatFixed(maxAbs(fa.token_attr!), d))
    })
  })
})

describe('seqAttrBars', () => {
  it('draws one bar per feature, green up / red down, heights ∝ |value|', () => {
    const v = [0.4, -0.2, 0, -0.8]
    const root = mount(SeqAttrBars, { inputTokens: ['a', 'Ġb', 'c', 'd'], values: v, halfHeight: 80 })
    const bars = byTestId(root, 'seq-attr').findAll('[data-value]')
    expect(values(bars)).toEqual(v)
    const styles = bars.map(style)
    expect(styles.map(s => s.height)).toEqual(['40px', '20px', '0px', '80px'])
    expect(styles[0]!.background).toBe('#008000')
    expect(styles[1]!.background).toBe('#ff0000')
    expect(bars[0]!.element.parentElement!.getAttribute('class')).toBe('half pos')
    expect(bars[3]!.element.parentElement!.getAttribute('class')).toBe('half neg')
    expect(root.text()).toContain('␣b')
    expect(root.text()).toContain('-0.800')
  })
})

describe('wordAttribution', () => {
  const alignment = [
    { text: 'I', token: null, status: 'stopword' as const },
    { text: ' ', token: null, status: 'space' as const },
    { text: 'love', token: 'love', status: 'used' as const },
    { text: ' ', token: null, status: 'space' as const },
    { text: 'this', token: null, status: 'stopword' as const },
    { text: ' ', token: null, status: 'space' as const },
    { text: 'games', token: 'game', status: 'used' as const },
    { text: ' ', token: null, status: 'space' as const },
    { text: 'zzyzx', token: '<UNK>', status: 'unk' as const },
    { text: '!', token: null, status: 'dropped' as const },
  ]

  it('shades used words by their token score and greys words the model never saw', () => {
    const words = ['<UNK>', 'game', 'love']
    const scores = [0.01, -0.1, 0.5]
    const root = mount(WordAttribution, { words, scores, alignment })
    const p = byTestId(root, 'word-attribution')
    const scored = p.findAll('[data-value]')
    expect(scored.map(n => n.element.textContent)).toEqual(['love', 'games'])
    expect(values(scored)).toEqual([0.5, -0.1])
    expect(style(scored[0]!).background).toBe(toCss(rampColor(1)))
    expect(scored[1]!.attributes('title')).toBe('"games" (model token "game"): -0.1')
    const unseen = p.findAll('[class]').filter(n => n.attributes('class') === 'word unseen')
    expect(unseen.map(n => n.attributes('title'))).toEqual([
      '"I": stopword: removed before the model sees the text',
      '"this": stopword: removed before the model sees the text',
      '"zzyzx": not in the vocabulary: the model saw <UNK> (score of <UNK>: 0.01)',
      '"!": dropped by the tokenizer (punctuation or not a word)',
    ])
    // The typed sentence is kept verbatim (markers live in separate <sup> elements).
    const text = p.findAll('span[class]').map(n => n.element.firstChild!.textContent).join('')
    expect(text).toBe('I love this games zzyzx!')
  })

  describe.skipIf(!HAVE_BOW_REF)('with the Captum 0.8 BoW reference (skipped when ../shared is absent)', () => {
    it('shows the IG scores of "I love this game!"', () => {
      const ref = JSON.parse(readFileSync(bowRef, 'utf8')) as { inputs: Array<{ id: string, text: string, words: string[], attributions: Record<string, { scores: number[] }> }> }
      const s01 = ref.inputs.find(i => i.id === 's01_short_pos')!
      const scores = s01.attributions.integrated_gradients_gausslegendre!.scores
      expect(s01.words).toEqual(['game', 'love'])
      const root = mount(WordAttribution, {
        words: s01.words,
        scores,
        alignment: [
          { text: 'I', token: null, status: 'stopword' },
          { text: ' ', token: null, status: 'space' },
          { text: 'love', token: 'love', status: 'used' },
          { text: ' ', token: null, status: 'space' },
          { text: 'this', token: null, status: 'stopword' },
          { text: ' ', token: null, status: 'space' },
          { text: 'game', token: 'game', status: 'used' },
          { text: '!', token: null, status: 'dropped' },
        ],
      })
      const scored = byTestId(root, 'word-attribution').findAll('[data-value]')
      expect(scored.map(n => n.element.textContent)).toEqual(['love', 'game'])
      expect(values(scored)).toEqual([scores[1], scores[0]])
    })
  })
})

describe('methodComparison', () => {
  function check(features: string[], methods: Array<{ name: string, values: number[] }>, root: Root) {
    expect(values(cells(root, 'method-comparison'))).toEqual(methods.flatMap(m => m.values))
    const rho = byTestId(root, 'spearman').findAll('td')
    expect(rho).toHaveLength(methods.length ** 2)
    for (let i = 0; i < methods.length; i++) {
      for (let j = 0; j < methods.length; j++) {
        const expected = spearman(methods[i]!.values, methods[j]!.values)
        const cell = rho[i * methods.length + j]!
        if (expected === null)
          expect(cell.text()).toBe('—')
        else
          expect(Number(cell.attributes('data-value'))).toBeCloseTo(expected, 12)
      }
    }
    expect(features.length).toBe(methods[0]!.values.length)
  }

  it('tabulates methods × features and the pairwise Spearman ρ', () => {
    const features = ['a', 'b', 'c', 'd']
    const methods = [
      { name: 'FeatureAblation', values: [1, 2, 3, 4] },
      { name: 'Saliency', values: [10, 20, 20, 5] },
      { name: 'Reverse', values: [4, 3, 2, 1] },
    ]
    const root = mount(MethodComparison, { features, methods })
    check(features, methods, root)
    const rho = byTestId(root, 'spearman').findAll('td')
    expect(rho[0]!.text()).toBe('1.00')
    expect(rho[2]!.text()).toBe('-1.00')
    // Each row on its own scale: the largest cell of every row is the darkest green.
    const td = cells(root, 'method-comparison')
    expect(style(td[3]!).background).toBe(toCss(rampColor(1)))
    expect(style(td[5]!).background).toBe(toCss(rampColor(1)))
  })

  it('refuses rows of the wrong length', () => {
    const root = mount(MethodComparison, { features: ['a', 'b'], methods: [{ name: 'X', values: [1] }] })
    expect(root.findAll('[role="alert"]')[0]!.element.textContent).toMatch(/X has 1 values for 2 features/)
  })

  describe.skipIf(!HAVE_GPT2_REF)('with the Captum 0.8 gpt2-tiny reference (skipped when ../shared is absent)', () => {
    it('compares FA, ShapleyValueSampling, KernelShap and LayerIG seq_attr', () => {
      const ref = JSON.parse(readFileSync(gpt2Ref, 'utf8')) as { results: LlmCase[] }
      const pick = ['FeatureAblation', 'ShapleyValueSampling', 'KernelShap', 'LayerIntegratedGradients']
      const methods = pick.map(name => ({ name, values: ref.results.find(r => r.method === name)!.seq_attr }))
      const features = ref.results[0]!.input_tokens
      const root = mount(MethodComparison, { features, methods })
      check(features, methods, root)
    })
  })
})

describe('templateEditor', () => {
  const T1 = '{name} from {country} applied for a job as a {job}. The hiring manager decided to'

  it('lists slots, reports missing/extra values and emits the RequestInput when valid', async () => {
    const submitted: unknown[] = []
    const changes: unknown[] = []
    const root = mount(TemplateEditor, {
      template: T1,
      values: { name: 'Georg', country: 'Germany', city: 'Bonn' },
      productBaselines: { name: ['John', 'Maria'], country: ['Togo'], job: ['nurse', ''] },
      onSubmit: (x: unknown) => submitted.push(x),
      onChange: (x: unknown) => changes.push(x),
    })
    expect(root.findAll('[class]').filter(n => n.attributes('class') === 'slot').map(n => n.element.textContent)).toEqual(['name', 'country', 'job'])
    expect(byTestId(root, 'template-errors').findAll('li').map(n => n.text())).toEqual([
      'Missing value for slot: job.',
      'Value given for a name that is not a slot: city.',
    ])
    expect(disabled(byTestId(root, 'template-submit'))).toBe(true)
    expect(changes).toEqual([null]) // the initial state is reported, invalid
    await byTestId(root, 'template-editor').trigger('submit')
    expect(submitted).toEqual([])

    await byTestId(root, 'template-values').setValue('name: Georg\ncountry: Germany\njob: janitor')
    expect(root.findAll('[data-testid="template-errors"]')).toHaveLength(0)
    expect(disabled(byTestId(root, 'template-submit'))).toBe(false)
    const expected = {
      type: 'template',
      template: T1,
      values: { name: 'Georg', country: 'Germany', job: 'janitor' },
      productBaselines: { name: ['John', 'Maria'], country: ['Togo'], job: ['nurse', ''] },
    }
    expect(changes.at(-1)).toEqual(expected)
    await byTestId(root, 'template-editor').trigger('submit')
    expect(submitted).toEqual([expected])
    // The callbacks above are the component's declared emits, one payload each.
    expect(root.emitted('submit')).toEqual([[expected]])
  })

  it('renders typed text as text', () => {
    const root = mount(TemplateEditor, { template: '{<script>x</script>}', values: {} })
    expect(root.findAll('[class]').filter(n => n.attributes('class') === 'slot')[0]!.element.textContent).toBe('<script>x</script>')
    expect(root.findAll('script')).toHaveLength(0)
  })
})

describe('modelStatus', () => {
  it('shows the backend badge, bytes, percent and ETA', async () => {
    const root = mount(ModelStatus, {
      name: 'distilgpt2',
      phase: 'downloading',
      mode: 'live',
      backend: 'wasm',
      loadedBytes: 64 * 2 ** 20,
      totalBytes: 256 * 2 ** 20,
      elapsedMs: 2000,
    })
    const badge = byTestId(root, 'backend-badge')
    expect(badge.element.textContent).toBe('WASM')
    expect(badge.attributes('data-backend')).toBe('wasm')
    expect(byTestId(root, 'model-state').element.textContent).toMatch(/live · distilgpt2 · downloading/)
    expect(root.element.textContent).toContain('64 MiB / 256 MiB (25 %) · ETA 6.0 s')
    await root.setProps({ backend: 'webgpu', phase: 'ready', mode: 'recorded' })
    expect(byTestId(root, 'backend-badge').element.textContent).toBe('WebGPU')
    expect(byTestId(root, 'backend-badge').attributes('data-backend')).toBe('webgpu')
    expect(byTestId(root, 'model-state').element.textContent).toMatch(/recorded · distilgpt2 · ready/)
    expect(root.findAll('progress')).toHaveLength(0)
    await root.setProps({ backend: 'cpu' })
    expect(byTestId(root, 'backend-badge').element.textContent).toBe('CPU')
  })

  it('names the full-logits fallback scorer beside the badge, and only that one', async () => {
    const root = mount(ModelStatus, { phase: 'ready', mode: 'live', backend: 'wasm', threads: 2, scorer: 'full-logits' })
    expect(byTestId(root, 'backend-badge').element.textContent).toBe('WASM · 2 threads')
    expect(byTestId(root, 'scorer-note').element.textContent).toBe('full logits')
    expect(String(byTestId(root, 'scorer-note').attributes('title'))).toContain('model.safetensors')
    await root.setProps({ scorer: 'attribution-graph' })
    expect(root.findAll('[data-testid="scorer-note"]')).toHaveLength(0)
  })

  it('omits the ETA when the total size is unknown', () => {
    const root = mount(ModelStatus, { phase: 'downloading', backend: null, loadedBytes: 1536, totalBytes: null, elapsedMs: 1000 })
    expect(root.findAll('[data-testid="backend-badge"]')).toHaveLength(0)
    expect(root.element.textContent).toContain('1.5 KiB')
    expect(root.element.textContent).not.toContain('ETA')
  })
})

describe('runControls', () => {
  it('emits run and cancel, and shows done/total with an ETA', async () => {
    let runs = 0
    let cancels = 0
    const root = mount(RunControls, {
      running: false,
      done: 0,
      total: 0,
      elapsedMs: null as number | null,
      onRun: () => runs++,
      onCancel: () => cancels++,
    })
    expect(disabled(byTestId(root, 'cancel-button'))).toBe(true)
    expect(byTestId(root, 'run-button').attributes('aria-label')).toBe('Run')
    await byTestId(root, 'run-button').trigger('click')
    expect(runs).toBe(1)

    await root.setProps({ running: true, done: 25, total: 100, elapsedMs: 2000 })
    expect(disabled(byTestId(root, 'run-button'))).toBe(true)
    expect(disabled(byTestId(root, 'cancel-button'))).toBe(false)
    const bar = byTestId(root, 'progress').element as HTMLProgressElement
    expect([bar.value, bar.max]).toEqual([25, 100])
    expect(root.element.textContent).toContain('25/100 · ETA 6.0 s')
    await byTestId(root, 'cancel-button').trigger('click')
    expect(cancels).toBe(1)
    root.unmount()
  })
})

describe('component sources', () => {
  it('never render HTML from data (no v-html / innerHTML)', () => {
    const files = readdirSync(componentsDir).filter(f => ['TokenHeatmap', 'SeqAttrBars', 'WordAttribution', 'MethodComparison', 'TemplateEditor', 'ModelStatus', 'RunControls'].some(n => f === `${n}.vue`))
    expect(files).toHaveLength(7)
    for (const f of files)
      expect(readFileSync(path.join(componentsDir, f), 'utf8')).not.toMatch(/v-html|innerHTML/)
  })
})
