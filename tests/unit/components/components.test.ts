import type { Component } from 'vue'
import type { HostNode } from './harness'
/**
 * Rendering and event tests of the presentational components, mounted through the real
 * Vue compiler and runtime (see ./harness.ts). Numbers come from the Captum 0.8 reference
 * files in ../shared when present, and from small hand-made inputs otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { chooseDecimals, formatFixed } from '../../../components/lib/format'
import { attributionColor, maxAbs, rampColor, toCss } from '../../../components/lib/palette'
import { spearman } from '../../../components/lib/stats'
import { haveShared, sharedPath } from '../../shared-reference'
import { componentsDir, flush, loadComponent, mount } from './harness'

const gpt2Ref = sharedPath('captum-reference/gpt2-tiny/reference.json')
const bowRef = sharedPath('captum-reference/bow/reference.json')
const HAVE_GPT2_REF = haveShared('captum-reference/gpt2-tiny/reference.json')
const HAVE_BOW_REF = haveShared('captum-reference/bow/reference.json')

interface LlmCase { case: string, method: string, seq_attr: number[], token_attr: number[][] | null, input_tokens: string[], output_tokens: string[] }

const C: Record<string, Component> = {}
beforeAll(async () => {
  for (const name of ['TokenHeatmap', 'SeqAttrBars', 'WordAttribution', 'MethodComparison', 'TemplateEditor', 'ModelStatus', 'RunControls'])
    C[name] = await loadComponent(`${name}.vue`)
})

const values = (nodes: HostNode[]) => nodes.map(n => Number(n.props['data-value']))
const cells = (root: HostNode, testId: string) => root.byTestId(testId).findAll(n => n.tag === 'td' && 'data-value' in n.props)

describe('tokenHeatmap', () => {
  const input = { inputTokens: ['Dave', 'Ġlives', '<img src=x onerror=alert(1)>'], outputTokens: ['playing', 'golf'], values: [[0.5, -0.25, 0], [-0.5, 0.125, 1e-9]] }

  it('renders one cell per (output, input) with full-precision data-value and shared decimals', async () => {
    const { root } = mount(C.TokenHeatmap!, input)
    await flush()
    const td = cells(root, 'token-heatmap')
    expect(values(td)).toEqual(input.values.flat())
    // max |v| = 0.5 → 3 decimals for every cell, so the columns line up.
    expect(td.map(n => n.textContent.trim())).toEqual(['0.500', '-0.250', '0.000', '-0.500', '0.125', '0.000'])
    expect(td[1]!.props.title).toBe('input "Ġlives" → output "playing": -0.25')
  })

  it('colours symmetrically about 0 on ±max|value| (red −, green +, neutral 0)', async () => {
    const { root } = mount(C.TokenHeatmap!, input)
    await flush()
    const bg = cells(root, 'token-heatmap').map(n => (n.props.style as { background: string }).background)
    expect(bg[0]).toBe(toCss(rampColor(1))) // +max → darkest green
    expect(bg[3]).toBe(toCss(rampColor(0))) // −max → darkest red
    expect(bg[2]).toBe('rgb(255, 255, 191)') // 0 → neutral
    expect(bg[1]).toBe(attributionColor(-0.25, 0.5))
  })

  it('shows tokens as text with the Ġ marker made visible, never as HTML', async () => {
    const { root } = mount(C.TokenHeatmap!, input)
    await flush()
    const heads = root.byTag('th').map(n => n.textContent.trim())
    expect(heads).toContain('␣lives')
    expect(heads).toContain('<img src=x onerror=alert(1)>')
    expect(root.byTag('img')).toHaveLength(0)
  })

  it('refuses a values matrix that does not match the tokens', async () => {
    const { root } = mount(C.TokenHeatmap!, { ...input, values: [[1, 2, 3]] })
    await flush()
    expect(root.findAll(n => n.props['data-testid'] === 'token-heatmap')).toHaveLength(0)
    expect(root.findAll(n => n.props.role === 'alert')[0]!.textContent).toMatch(/1 rows but there are 2 output tokens/)
  })

  it('explains a null tokenAttr (Lime / KernelShap) instead of drawing a table', async () => {
    const { root } = mount(C.TokenHeatmap!, { ...input, values: null })
    await flush()
    expect(root.findAll(n => n.props['data-testid'] === 'token-heatmap')).toHaveLength(0)
    expect(root.byTestId('no-token-attr').textContent).toMatch(/Lime and KernelShap/)
  })

  describe.skipIf(!HAVE_GPT2_REF)('with the Captum 0.8 gpt2-tiny reference (skipped when ../shared is absent)', () => {
    it('shows FeatureAblation token_attr (16 inputs × 8 outputs) exactly', async () => {
      const ref = JSON.parse(readFileSync(gpt2Ref, 'utf8')) as { results: LlmCase[] }
      const fa = ref.results.find(r => r.method === 'FeatureAblation')!
      const { root } = mount(C.TokenHeatmap!, { inputTokens: fa.input_tokens, outputTokens: fa.output_tokens, values: fa.token_attr! })
      await flush()
      const td = cells(root, 'token-heatmap')
      expect(td).toHaveLength(fa.input_tokens.length * fa.output_tokens.length)
      expect(values(td)).toEqual(fa.token_attr!.flat())
      const d = chooseDecimals(maxAbs(fa.token_attr!))
      expect(td.map(n => n.textContent.trim())).toEqual(fa.token_attr!.flat().map(v => formatFixed(v, d)))
      // The legend spans exactly ±max|token_attr|, like Captum's imshow(vmin, vmax).
      expect(root.findAll(n => n.props['aria-label'] === 'colour scale')[0]!.textContent).toContain(formatFixed(maxAbs(fa.token_attr!), d))
    })
  })
})

describe('seqAttrBars', () => {
  it('draws one bar per feature, green up / red down, heights ∝ |value|', async () => {
    const v = [0.4, -0.2, 0, -0.8]
    const { root } = mount(C.SeqAttrBars!, { inputTokens: ['a', 'Ġb', 'c', 'd'], values: v, halfHeight: 80 })
    await flush()
    const bars = root.byTestId('seq-attr').findAll(n => 'data-value' in n.props)
    expect(values(bars)).toEqual(v)
    const style = bars.map(b => b.props.style as { height: string, background: string })
    expect(style.map(s => s.height)).toEqual(['40px', '20px', '0px', '80px'])
    expect(style[0]!.background).toBe('#008000')
    expect(style[1]!.background).toBe('#ff0000')
    expect(bars[0]!.parent!.props.class).toBe('half pos')
    expect(bars[3]!.parent!.props.class).toBe('half neg')
    expect(root.textContent).toContain('␣b')
    expect(root.textContent).toContain('-0.800')
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

  it('shades used words by their token score and greys words the model never saw', async () => {
    const words = ['<UNK>', 'game', 'love']
    const scores = [0.01, -0.1, 0.5]
    const { root } = mount(C.WordAttribution!, { words, scores, alignment })
    await flush()
    const p = root.byTestId('word-attribution')
    const scored = p.findAll(n => 'data-value' in n.props)
    expect(scored.map(n => n.textContent)).toEqual(['love', 'games'])
    expect(values(scored)).toEqual([0.5, -0.1])
    expect((scored[0]!.props.style as { background: string }).background).toBe(toCss(rampColor(1)))
    expect(scored[1]!.props.title).toBe('"games" (model token "game"): -0.1')
    const unseen = p.findAll(n => n.props.class === 'word unseen')
    expect(unseen.map(n => n.props.title)).toEqual([
      '"I": stopword: removed before the model sees the text',
      '"this": stopword: removed before the model sees the text',
      '"zzyzx": not in the vocabulary: the model saw <UNK> (score of <UNK>: 0.01)',
      '"!": dropped by the tokenizer (punctuation or not a word)',
    ])
    // The typed sentence is kept verbatim (markers live in separate <sup> elements).
    const text = p.findAll(n => n.tag === 'span').filter(n => n.props.class !== undefined).map(n => n.children[0]!.textContent).join('')
    expect(text).toBe('I love this games zzyzx!')
  })

  describe.skipIf(!HAVE_BOW_REF)('with the Captum 0.8 BoW reference (skipped when ../shared is absent)', () => {
    it('shows the IG scores of "I love this game!"', async () => {
      const ref = JSON.parse(readFileSync(bowRef, 'utf8')) as { inputs: Array<{ id: string, text: string, words: string[], attributions: Record<string, { scores: number[] }> }> }
      const s01 = ref.inputs.find(i => i.id === 's01_short_pos')!
      const scores = s01.attributions.integrated_gradients_gausslegendre!.scores
      expect(s01.words).toEqual(['game', 'love'])
      const { root } = mount(C.WordAttribution!, {
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
      await flush()
      const scored = root.byTestId('word-attribution').findAll(n => 'data-value' in n.props)
      expect(scored.map(n => n.textContent)).toEqual(['love', 'game'])
      expect(values(scored)).toEqual([scores[1], scores[0]])
    })
  })
})

describe('methodComparison', () => {
  function check(features: string[], methods: Array<{ name: string, values: number[] }>, root: HostNode) {
    expect(values(cells(root, 'method-comparison'))).toEqual(methods.flatMap(m => m.values))
    const rho = root.byTestId('spearman').findAll(n => n.tag === 'td')
    expect(rho).toHaveLength(methods.length ** 2)
    for (let i = 0; i < methods.length; i++) {
      for (let j = 0; j < methods.length; j++) {
        const expected = spearman(methods[i]!.values, methods[j]!.values)
        const cell = rho[i * methods.length + j]!
        if (expected === null)
          expect(cell.textContent.trim()).toBe('—')
        else
          expect(Number(cell.props['data-value'])).toBeCloseTo(expected, 12)
      }
    }
    expect(features.length).toBe(methods[0]!.values.length)
  }

  it('tabulates methods × features and the pairwise Spearman ρ', async () => {
    const features = ['a', 'b', 'c', 'd']
    const methods = [
      { name: 'FeatureAblation', values: [1, 2, 3, 4] },
      { name: 'Saliency', values: [10, 20, 20, 5] },
      { name: 'Reverse', values: [4, 3, 2, 1] },
    ]
    const { root } = mount(C.MethodComparison!, { features, methods })
    await flush()
    check(features, methods, root)
    const rho = root.byTestId('spearman').findAll(n => n.tag === 'td')
    expect(rho[0]!.textContent.trim()).toBe('1.00')
    expect(rho[2]!.textContent.trim()).toBe('-1.00')
    // Each row on its own scale: the largest cell of every row is the darkest green.
    const td = cells(root, 'method-comparison')
    expect((td[3]!.props.style as { background: string }).background).toBe(toCss(rampColor(1)))
    expect((td[5]!.props.style as { background: string }).background).toBe(toCss(rampColor(1)))
  })

  it('refuses rows of the wrong length', async () => {
    const { root } = mount(C.MethodComparison!, { features: ['a', 'b'], methods: [{ name: 'X', values: [1] }] })
    await flush()
    expect(root.findAll(n => n.props.role === 'alert')[0]!.textContent).toMatch(/X has 1 values for 2 features/)
  })

  describe.skipIf(!HAVE_GPT2_REF)('with the Captum 0.8 gpt2-tiny reference (skipped when ../shared is absent)', () => {
    it('compares FA, ShapleyValueSampling, KernelShap and LayerIG seq_attr', async () => {
      const ref = JSON.parse(readFileSync(gpt2Ref, 'utf8')) as { results: LlmCase[] }
      const pick = ['FeatureAblation', 'ShapleyValueSampling', 'KernelShap', 'LayerIntegratedGradients']
      const methods = pick.map(name => ({ name, values: ref.results.find(r => r.method === name)!.seq_attr }))
      const features = ref.results[0]!.input_tokens
      const { root } = mount(C.MethodComparison!, { features, methods })
      await flush()
      check(features, methods, root)
    })
  })
})

describe('templateEditor', () => {
  const T1 = '{name} from {country} applied for a job as a {job}. The hiring manager decided to'

  it('lists slots, reports missing/extra values and emits the RequestInput when valid', async () => {
    const submitted: unknown[] = []
    const changes: unknown[] = []
    const { root } = mount(C.TemplateEditor!, {
      template: T1,
      values: { name: 'Georg', country: 'Germany', city: 'Bonn' },
      productBaselines: { name: ['John', 'Maria'], country: ['Togo'], job: ['nurse', ''] },
      onSubmit: (x: unknown) => submitted.push(x),
      onChange: (x: unknown) => changes.push(x),
    })
    await flush()
    expect(root.findAll(n => n.props.class === 'slot').map(n => n.textContent)).toEqual(['name', 'country', 'job'])
    expect(root.byTestId('template-errors').byTag('li').map(n => n.textContent.trim())).toEqual([
      'Missing value for slot: job.',
      'Value given for a name that is not a slot: city.',
    ])
    expect(root.byTestId('template-submit').props.disabled).toBe(true)
    expect(changes).toEqual([null]) // the initial state is reported, invalid
    root.byTestId('template-editor').trigger('submit')
    expect(submitted).toEqual([])

    root.byTestId('template-values').setValue('name: Georg\ncountry: Germany\njob: janitor')
    await flush()
    expect(root.findAll(n => n.props['data-testid'] === 'template-errors')).toHaveLength(0)
    expect(root.byTestId('template-submit').props.disabled).toBeUndefined()
    const expected = {
      type: 'template',
      template: T1,
      values: { name: 'Georg', country: 'Germany', job: 'janitor' },
      productBaselines: { name: ['John', 'Maria'], country: ['Togo'], job: ['nurse', ''] },
    }
    expect(changes.at(-1)).toEqual(expected)
    root.byTestId('template-editor').trigger('submit')
    expect(submitted).toEqual([expected])
  })

  it('renders typed text as text', async () => {
    const { root } = mount(C.TemplateEditor!, { template: '{<script>x</script>}', values: {} })
    await flush()
    expect(root.findAll(n => n.props.class === 'slot')[0]!.textContent).toBe('<script>x</script>')
    expect(root.byTag('script')).toHaveLength(0)
  })
})

describe('modelStatus', () => {
  it('shows the backend badge, bytes, percent and ETA', async () => {
    const { root, props } = mount(C.ModelStatus!, {
      name: 'distilgpt2',
      phase: 'downloading',
      mode: 'live',
      backend: 'wasm',
      loadedBytes: 64 * 2 ** 20,
      totalBytes: 256 * 2 ** 20,
      elapsedMs: 2000,
    })
    await flush()
    const badge = root.byTestId('backend-badge')
    expect(badge.textContent).toBe('WASM')
    expect(badge.props['data-backend']).toBe('wasm')
    expect(root.byTestId('model-state').textContent).toMatch(/live · distilgpt2 · downloading/)
    expect(root.textContent).toContain('64 MiB / 256 MiB (25 %) · ETA 6.0 s')
    props.backend = 'webgpu'
    props.phase = 'ready'
    props.mode = 'recorded'
    await flush()
    expect(root.byTestId('backend-badge').textContent).toBe('WebGPU')
    expect(root.byTestId('backend-badge').props['data-backend']).toBe('webgpu')
    expect(root.byTestId('model-state').textContent).toMatch(/recorded · distilgpt2 · ready/)
    expect(root.byTag('progress')).toHaveLength(0)
    props.backend = 'cpu'
    await flush()
    expect(root.byTestId('backend-badge').textContent).toBe('CPU')
  })

  it('names the full-logits fallback scorer beside the badge, and only that one', async () => {
    const { root, props } = mount(C.ModelStatus!, { phase: 'ready', mode: 'live', backend: 'wasm', threads: 2, scorer: 'full-logits' })
    await flush()
    expect(root.byTestId('backend-badge').textContent).toBe('WASM · 2 threads')
    expect(root.byTestId('scorer-note').textContent).toBe('full logits')
    expect(String(root.byTestId('scorer-note').props.title)).toContain('model.safetensors')
    props.scorer = 'attribution-graph'
    await flush()
    expect(root.findAll(n => n.props['data-testid'] === 'scorer-note')).toHaveLength(0)
  })

  it('omits the ETA when the total size is unknown', async () => {
    const { root } = mount(C.ModelStatus!, { phase: 'downloading', backend: null, loadedBytes: 1536, totalBytes: null, elapsedMs: 1000 })
    await flush()
    expect(root.findAll(n => n.props['data-testid'] === 'backend-badge')).toHaveLength(0)
    expect(root.textContent).toContain('1.5 KiB')
    expect(root.textContent).not.toContain('ETA')
  })
})

describe('runControls', () => {
  it('emits run and cancel, and shows done/total with an ETA', async () => {
    let runs = 0
    let cancels = 0
    const { root, props, unmount } = mount(C.RunControls!, {
      running: false,
      done: 0,
      total: 0,
      elapsedMs: null as number | null,
      onRun: () => runs++,
      onCancel: () => cancels++,
    })
    await flush()
    expect(root.byTestId('cancel-button').props.disabled).toBe(true)
    expect(root.byTestId('run-button').props['aria-label']).toBe('Run')
    root.byTestId('run-button').trigger('click')
    expect(runs).toBe(1)

    Object.assign(props, { running: true, done: 25, total: 100, elapsedMs: 2000 })
    await flush()
    expect(root.byTestId('run-button').props.disabled).toBe(true)
    expect(root.byTestId('cancel-button').props.disabled).toBeUndefined()
    const bar = root.byTestId('progress')
    expect([bar.props.value, bar.props.max]).toEqual([25, 100])
    expect(root.textContent).toContain('25/100 · ETA 6.0 s')
    root.byTestId('cancel-button').trigger('click')
    expect(cancels).toBe(1)
    unmount()
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
