import type { Page } from '@playwright/test'
import { expect, test } from '@playwright/test'
import { faithfulnessRequests } from '../../components/demo/catalog'
import { AHEAD_REACH } from '../../components/demo/compute-ahead'
import { requestKeyOf } from '../../engine/core/request-key'
import { demoSlides, MODELS, readValues, runLive, settle, watchPage } from './helpers'

/**
 * Compute-ahead (issue 15): while a slide is shown, the worker computes the next demo
 * slide's requests at low priority, so entering that slide shows the result at once,
 * without ever showing a spinner; once they are in hand, the slide after's, up to
 * AHEAD_REACH slides on. `?ahead=off` turns it off, which is the control.
 *
 * Every frame's `data-state` changes are recorded from the page's start, so "never
 * running" is read from what the page did, not from a timing.
 */

const DEMO = 'llm-kernel-shap'

/** Records every `data-state` each frame takes, into `window.__states[demo]`. */
async function recordStates(page: Page) {
  await page.addInitScript(() => {
    const states: Record<string, string[]> = {}
    ;(window as unknown as { __states: typeof states }).__states = states
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target as HTMLElement
        const id = el.getAttribute?.('data-demo')
        const s = el.getAttribute?.('data-state')
        if (id && s)
          (states[id] ??= []).push(s)
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] })
  })
}

async function statesOf(page: Page, demo: string): Promise<string[]> {
  return page.evaluate(id => (window as unknown as { __states: Record<string, string[]> }).__states[id] ?? [], demo)
}

test('the next slide is computed ahead: entering it shows the result at once, equal to a live run', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const slide = slideOf.get(DEMO)!
  const watch = watchPage(page)
  await recordStates(page)
  await page.goto(`/${slide - 1}`)
  // The previous slide's own demos run first ('now'), then the next slide's ahead.
  await page.waitForFunction(() => Number(document.documentElement.dataset.computedAhead ?? 0) >= 1, null, { timeout: 180_000 })
  expect(await statesOf(page, DEMO), 'the hidden frame did not run itself').not.toContain('running')

  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.keyboard.press('ArrowRight')
  await expect(page).toHaveURL(new RegExp(`/${slide}(\\?|$)`))
  expect(await settle(page, DEMO)).toBe('done')
  const frame = page.locator(`[data-demo="${DEMO}"]`)
  await expect(frame).toHaveAttribute('data-origin', 'cache')
  expect(await statesOf(page, DEMO), 'entering a computed-ahead slide shows no spinner').not.toContain('running')
  const ahead = await readValues(page, DEMO, '[data-testid="seq-attr"]')
  expect(ahead.length).toBeGreaterThan(0)

  // The same request run live (Run button) gives the same numbers: seeded, one session.
  await runLive(page, DEMO)
  await expect(frame).toHaveAttribute('data-origin', 'live')
  expect(await readValues(page, DEMO, '[data-testid="seq-attr"]')).toEqual(ahead)
  expect(watch.consoleErrors, 'console errors').toEqual([])
})

test('with ?ahead=off nothing is computed ahead: the slide computes on entry', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const slide = slideOf.get(DEMO)!
  await recordStates(page)
  await page.goto(`/${slide - 1}?ahead=off`)
  // The previous slide's own demos settle, so the worker is warm and idle.
  const previous = await page.locator(`[data-slidev-no="${slide - 1}"] [data-demo]`).evaluateAll(els => els.map(e => e.getAttribute('data-demo')!))
  for (const demo of previous)
    await settle(page, demo)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.keyboard.press('ArrowRight')
  expect(await settle(page, DEMO)).toBe('done')
  await expect(page.locator(`[data-demo="${DEMO}"]`)).toHaveAttribute('data-origin', 'live')
  expect(await statesOf(page, DEMO)).toContain('running')
  expect(await page.evaluate(() => document.documentElement.dataset.computedAhead ?? null)).toBeNull()
})

test('a multi-request demo entered while its rows are still computed ahead keeps them: none is cancelled and restarted', async ({ page }) => {
  test.setTimeout(360_000)
  const { slideOf } = await demoSlides()
  const demo = 'faithfulness'
  const slide = slideOf.get(demo)!
  const rows = faithfulnessRequests(MODELS).map(requestKeyOf)
  const finishedAhead = async () => {
    const keys = await page.evaluate(() => (globalThis as { __computedAheadKeys?: string[] }).__computedAheadKeys ?? [])
    return rows.filter(k => keys.includes(k)).length
  }
  await page.goto(`/${slide - 1}`)
  // Enter as soon as the first of its five rows is ready, while the others still compute.
  await expect.poll(finishedAhead, { timeout: 180_000, intervals: [100] }).toBeGreaterThanOrEqual(1)
  const atEntry = await finishedAhead()
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  await page.keyboard.press('ArrowRight')
  expect(await settle(page, demo, 300_000)).toBe('done')
  // Every row finished as the run compute-ahead started (a cancelled one would restart as a new run).
  expect(atEntry, 'entered while rows were still computing').toBeLessThan(rows.length)
  expect(await finishedAhead()).toBe(rows.length)
})

test('compute-ahead goes past slides whose results are in hand: from the first BoW slide it reaches the faithfulness table', async ({ page }) => {
  test.setTimeout(360_000)
  const { slideOf } = await demoSlides()
  const from = slideOf.get('bow-intro')!
  const table = slideOf.get('faithfulness')!
  expect(table - from, 'within compute-ahead\'s reach').toBeLessThanOrEqual(AHEAD_REACH)
  const rows = faithfulnessRequests(MODELS).map(requestKeyOf)
  await page.goto(`/${from}`)
  // Nobody leaves the BoW slide: the table's rows are computed all the same.
  await expect.poll(async () => {
    const keys = await page.evaluate(() => (globalThis as { __computedAheadKeys?: string[] }).__computedAheadKeys ?? [])
    return rows.filter(k => keys.includes(k)).length
  }, { timeout: 300_000, intervals: [250] }).toBe(rows.length)
})
