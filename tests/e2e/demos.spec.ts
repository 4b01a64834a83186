import type { BowResponse, LlmResponse } from '../../engine/api'
import { renameSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { DEMOS, FAITHFULNESS_METHODS, faithfulnessRequests, requestFor } from '../../components/demo/catalog'
import { cli, demoSlides, expectClose, llmTolerance, MODELS, readValues, runLive, settle, watchPage } from './helpers'

/**
 * Every live demo of the deck (built with the tiny GPT-2 fixture as its LLM) computes in
 * Chromium, and the numbers it renders equal the CLI's for the same request.
 */

const demoIds = Object.keys(DEMOS).filter(id => !id.startsWith('bias-') || id === 'bias-t1')

test('every demo renders the CLI\'s numbers for its request', async ({ page }) => {
  test.setTimeout(900_000)
  // The three layer gradient methods of the LLM each have a demo here.
  expect(demoIds).toEqual(expect.arrayContaining(['llm-layer-ig', 'llm-layer-gxa', 'llm-layer-gshap']))
  const requests = demoIds.map(id => requestFor(DEMOS[id]!, MODELS))
  const expected = cli(requests)
  const { slideOf } = await demoSlides()
  const watch = watchPage(page)
  for (const [i, id] of demoIds.entries()) {
    const no = slideOf.get(id)
    expect(no, `slide of ${id}`).toBeTruthy()
    await page.goto(`/${no}`)
    expect(await settle(page, id), id).toBe('done')
    // Recorded (baked) BoW results are compared as shown; one BoW demo is also re-run
    // live. LLM demos have no bake for the fixture model: they computed live already.
    if (id === 'bow-ig')
      await runLive(page, id)
    const want = expected[i]!
    if (want.kind === 'llm') {
      const llm = want as LlmResponse
      const tol = llmTolerance(DEMOS[id]!.method)
      expectClose(await readValues(page, id, '[data-testid="seq-attr"]'), llm.seqAttr, tol, `${id} seqAttr`)
      const heat = await page.locator(`[data-demo="${id}"] [data-testid="token-heatmap"]`).count()
      if (heat && llm.tokenAttr)
        expectClose(await readValues(page, id, '[data-testid="token-heatmap"]'), llm.tokenAttr.flat(), tol, `${id} tokenAttr`)
    }
    else {
      const bow = want as BowResponse
      // The saturation slide has two panes (gradient method, IG): its request is the first.
      const pane = id === 'bow-saturation' ? '[data-testid="pane-gradient"] [data-testid="word-attribution"]' : '[data-testid="word-attribution"]'
      const shown = [...new Set(await readValues(page, id, pane))].sort((a, b) => a - b)
      const used = new Set((bow.alignment ?? []).filter(a => a.status === 'used' || a.status === 'unk').map(a => a.token))
      const wantScores = [...new Set(bow.words.map((w, j) => used.has(w) ? bow.scores[j]! : Number.NaN).filter(v => !Number.isNaN(v)))].sort((a, b) => a - b)
      expectClose(shown, wantScores, 1e-5, `${id} scores`)
      const p = Number(await page.locator(`[data-demo="${id}"] [data-testid="p-positive"]`).textContent())
      expect(Math.abs(p - bow.probabilities[1]), `${id} P(positive)`).toBeLessThan(1e-4)
    }
  }
  expect(watch.external).toEqual([])
})

test('typed text is shown as text, never run as HTML', async ({ page }) => {
  const { slideOf } = await demoSlides()
  let dialogs = 0
  page.on('dialog', async (d) => {
    dialogs++
    await d.dismiss()
  })
  const evil = '<img src=x onerror=alert(1)> love <script>alert(2)</script>'
  for (const id of ['bow-ig', 'llm-feature-ablation']) {
    await page.goto(`/${slideOf.get(id)}`)
    await settle(page, id)
    const box = page.locator(`[data-slidev-no="${slideOf.get(id)}"] [data-testid="demo-text"]`).first()
    await box.fill(evil)
    await box.press('Enter')
    await box.blur()
    expect(await settle(page, id)).toBe('done')
    await expect(page.locator(`[data-demo="${id}"]`)).toHaveAttribute('data-state', 'done')
    expect(await page.locator(`[data-demo="${id}"] img`).count()).toBe(0)
    expect(await page.locator(`[data-demo="${id}"] script`).count()).toBe(0)
  }
  // The BoW sentence shows the typed words verbatim as text.
  await page.goto(`/${slideOf.get('bow-ig')}`)
  await settle(page, 'bow-ig')
  await expect(page.locator('[data-demo="bow-ig"] [data-testid="word-attribution"]')).toContainText('onerror')
  expect(dialogs).toBe(0)
})

test('an empty prompt gets a clear message, and the next valid prompt works', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const id = 'llm-palm-coast'
  await page.goto(`/${slideOf.get(id)}`)
  await settle(page, id)
  const box = page.locator(`[data-slidev-no="${slideOf.get(id)}"] [data-testid="demo-text"]`).first()
  await box.fill('')
  await box.blur()
  expect(await settle(page, id)).toBe('error')
  await expect(page.locator(`[data-demo="${id}"] [data-testid="demo-error"]`)).toContainText(/empty/i)
  await box.fill('Dave lives in Palm Coast')
  await box.blur()
  await expect(page.locator(`[data-demo="${id}"]`)).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
})

test('cancel keeps the previous result; 20 rapid re-runs settle on one correct result', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const id = 'bow-gradient-shap'
  await page.goto(`/${slideOf.get(id)}`)
  expect(await settle(page, id)).toBe('done')
  const before = await readValues(page, id, '[data-testid="word-attribution"]')
  const frame = page.locator(`[data-demo="${id}"]`)
  for (let k = 0; k < 20; k++)
    await frame.getByTestId('run-button').click({ force: true })
  expect(await settle(page, id)).toBe('done')
  expectClose(await readValues(page, id, '[data-testid="word-attribution"]'), before, 1e-6, 'after 20 re-runs')

  // Cancel a live run (the ten-method comparison takes a few seconds): the slide keeps the
  // last result and says so.
  const cmp = 'compare-bow'
  await page.goto(`/${slideOf.get(cmp)}`)
  expect(await settle(page, cmp)).toBe('done')
  const shown = await readValues(page, cmp, '[data-testid="method-comparison"]')
  const cmpFrame = page.locator(`[data-demo="${cmp}"]`)
  await cmpFrame.getByTestId('run-button').click()
  await expect(cmpFrame).toHaveAttribute('data-state', 'running')
  await cmpFrame.getByTestId('cancel-button').click()
  await expect(cmpFrame).toHaveAttribute('data-state', 'done')
  await expect(cmpFrame).toContainText('Cancelled.')
  expect(await readValues(page, cmp, '[data-testid="method-comparison"]')).toEqual(shown)
})

test('the saturation slide: exact zeros of Input × Gradient are neutral and say "0 (exactly)"; IG on the same scale is not zero', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const id = 'bow-saturation'
  await page.goto(`/${slideOf.get(id)}`)
  expect(await settle(page, id)).toBe('done')
  const frame = page.locator(`[data-demo="${id}"]`)
  const neutral = 'rgb(255, 255, 191)'
  const colours = async (pane: string) => frame.locator(`[data-testid="${pane}"] .word.scored`).evaluateAll(els => els.map(e => ({ v: Number(e.getAttribute('data-value')), bg: getComputedStyle(e).backgroundColor })))
  const grad = await colours('pane-gradient')
  const ig = await colours('pane-ig')
  expect(grad.length).toBeGreaterThan(0)
  for (const c of grad) {
    expect(c.v).toBe(0)
    expect(c.bg).toBe(neutral)
  }
  expect(ig.some(c => c.v !== 0 && c.bg !== neutral)).toBe(true)
  const cells = frame.locator('[data-testid="saturation-table"] td[data-exact-zero="true"]')
  // One table row per distinct word (the sentence repeats some).
  expect(await cells.count()).toBe(await frame.locator('[data-testid="saturation-table"] tbody tr').count())
  await expect(cells.first()).toHaveText('0 (exactly)')
})

test('without a downloaded LLM, its demos settle in missing-model and say how to get it', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const dir = 'dist/models/tiny-gpt2'
  renameSync(dir, `${dir}.away`)
  try {
    const id = 'llm-feature-ablation'
    await page.goto(`/${slideOf.get(id)}`)
    expect(await settle(page, id)).toBe('missing-model')
    await expect(page.locator(`[data-demo="${id}"] [data-testid="missing-model"]`)).toContainText('npm run models')
    // The faithfulness table runs on entry too, and settles with the same message.
    await page.goto(`/${slideOf.get('faithfulness')}`)
    expect(await settle(page, 'faithfulness')).toBe('missing-model')
    await expect(page.locator('[data-demo="faithfulness"] [data-testid="missing-model"]')).toContainText('npm run models')
  }
  finally {
    renameSync(`${dir}.away`, dir)
  }
})

test.describe('backends', () => {
  test('without WebGPU the badge shows the WASM fallback', async ({ page }) => {
    const { slideOf } = await demoSlides()
    await page.goto(`/${slideOf.get('bow-intro')}`)
    await settle(page, 'bow-intro')
    await runLive(page, 'bow-intro')
    await expect(page.locator('[data-demo="bow-intro"] [data-testid="backend-badge"]')).toHaveAttribute('data-backend', 'wasm')
    await expect(page.locator('[data-demo="bow-intro"] [data-testid="backend-note"]')).toHaveText('no WebGPU')
  })
})

test('"Which explanation should I trust?": the slide\'s table equals the CLI\'s metrics', async ({ page }) => {
  test.setTimeout(900_000)
  const expected = cli(faithfulnessRequests(MODELS)) as LlmResponse[]
  const { slideOf } = await demoSlides()
  // Record the order in which the table's rows fill in (one DOM update per answer).
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(globalThis as unknown as { faithRows: string[] }).faithRows = seen
    new MutationObserver(() => {
      for (const tr of document.querySelectorAll('[data-demo="faithfulness"] tr[data-method][data-ready]')) {
        const m = tr.getAttribute('data-method')!
        // A row that appears while the frame still runs came ahead of the others.
        const running = tr.closest('[data-demo]')!.getAttribute('data-state') === 'running'
        if (!seen.some(s => s.startsWith(m)))
          seen.push(running ? m : `${m} (with the end)`)
      }
    }).observe(document, { subtree: true, childList: true, attributes: true })
  })
  await page.goto(`/${slideOf.get('faithfulness')}?ahead=off`)
  const frame = page.locator('[data-demo="faithfulness"]')
  // It starts on entry, like every other demo.
  await expect(frame).toHaveAttribute('data-autorun', 'true')
  await expect(frame).toHaveAttribute('data-state', 'done', { timeout: 600_000 })
  // Each row was on the slide as soon as its request answered, while the rest still ran;
  // only the last one arrives with the end of the run.
  const order = await page.evaluate(() => (globalThis as unknown as { faithRows: string[] }).faithRows)
  const methods = FAITHFULNESS_METHODS.map(m => m.method)
  expect(order.slice(0, -1)).toEqual(methods.slice(0, -1))
  expect(order.at(-1)).toMatch(new RegExp(`^${methods.at(-1)}`))
  for (const [i, m] of FAITHFULNESS_METHODS.entries()) {
    const cells = await frame.locator(`tr[data-method="${m.method}"] td[data-value]`).evaluateAll(els => els.map(e => Number(e.getAttribute('data-value'))))
    const metrics = expected[i]!.metrics as { deletion: { aopc: number }, insertion: { aopc: number }, infidelity: number, sensitivityMax: number }
    const want = [metrics.deletion.aopc, metrics.insertion.aopc, metrics.infidelity, metrics.sensitivityMax]
    cells.forEach((v, k) => expect(Math.abs(v - want[k]!), `${m.method} column ${k}: ${v} vs ${want[k]}`).toBeLessThanOrEqual(5e-5 + 1e-3 * Math.abs(want[k]!)))
  }
})
