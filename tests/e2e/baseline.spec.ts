import type { LlmResponse } from '../../engine/api'
import { expect, test } from '@playwright/test'
import { DEMOS, requestFor } from '../../components/demo/catalog'
import { cli, demoSlides, expectClose, llmTolerance, MODELS, readValues, settle, watchPage } from './helpers'

/**
 * The TextTokenInput slide's baseline picker (issue 18, "the baseline is the question"):
 * changing the baseline re-runs the demo with `options.baselineToken`, and the slide then
 * shows the CLI's numbers for that baseline; a token outside the vocabulary gets a clear
 * message on the slide and the next valid choice works.
 */

const DEMO = 'llm-text-token-generate'

test('the baseline picker re-runs the demo: the CLI\'s numbers for each baseline; a bad token is a message, not a number', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const watch = watchPage(page)
  const spec = DEMOS[DEMO]!
  const [byDefault, byEos] = cli([requestFor(spec, MODELS), requestFor(spec, MODELS, { baselineToken: 50256 })]) as LlmResponse[]
  const tol = llmTolerance(spec.method)

  await page.goto(`/${slideOf.get(DEMO)}`)
  expect(await settle(page, DEMO)).toBe('done')
  expectClose(await readValues(page, DEMO, '[data-testid="seq-attr"]'), byDefault!.seqAttr, tol, 'baseline 0')
  // The two baselines must differ, or this test could not tell them apart.
  expect(Math.max(...byDefault!.seqAttr.map((v, i) => Math.abs(v - byEos!.seqAttr[i]!)))).toBeGreaterThan(10 * tol)

  const frame = page.locator(`[data-demo="${DEMO}"]`)
  /** Waits until the demo is done and shows these sequence attributions (a re-run is not instant). */
  const shows = (want: number[]) => expect.poll(async () => {
    if (await frame.getAttribute('data-state') !== 'done')
      return Infinity
    const got = await readValues(page, DEMO, '[data-testid="seq-attr"]')
    return got.length === want.length ? Math.max(...got.map((v, i) => Math.abs(v - want[i]!))) : Infinity
  }, { timeout: 120_000 }).toBeLessThan(tol + 1e-4 * Math.max(...want.map(Math.abs)))
  const slide = page.locator(`[data-slidev-no="${slideOf.get(DEMO)}"]`)
  await slide.getByTestId('baseline-select').selectOption('50256')
  await shows(byEos!.seqAttr)
  expectClose(await readValues(page, DEMO, '[data-testid="seq-attr"]'), byEos!.seqAttr, tol, 'baseline <|endoftext|>')

  // A custom token that GPT-2 does not have: one clear line on the slide.
  await slide.getByTestId('baseline-select').selectOption('custom')
  await slide.getByTestId('baseline-custom').fill(' the')
  await slide.getByTestId('baseline-custom').press('Enter')
  await expect(frame).toHaveAttribute('data-state', 'error')
  await expect(frame.getByTestId('demo-error')).toContainText('" the" is not a token of this vocabulary (a leading space is written Ġ: "Ġthe")')

  // Back to the default: the first numbers again.
  await slide.getByTestId('baseline-select').selectOption('0')
  await shows(byDefault!.seqAttr)
  expectClose(await readValues(page, DEMO, '[data-testid="seq-attr"]'), byDefault!.seqAttr, tol, 'baseline 0 again')
  expect(watch.external).toEqual([])
})
