import { expect, test } from '@playwright/test'
import { demoSlides, settle, watchPage } from './helpers'

/**
 * The smoke test of the built deck (dist/, built offline with the tiny GPT-2 fixture
 * standing in for distilgpt2): every slide renders when walked by keyboard, nothing
 * is requested from outside localhost, no console error, and the demos compute.
 */

test('walks every slide by keyboard; no external request, no console error; demos settle', async ({ page }) => {
  const { total } = await demoSlides()
  const watch = watchPage(page)
  await page.goto('/1')
  await expect(page.locator('[data-slidev-no="1"]')).toBeVisible()
  for (let i = 1; i <= total; i++) {
    await expect(page).toHaveURL(new RegExp(`/${i}(\\?|$)`))
    await expect(page.locator(`[data-slidev-no="${i}"]`).first()).toBeVisible()
    // Every demo on the slide settles: a result, or the clear "missing model" message.
    const demos = await page.locator(`[data-slidev-no="${i}"] [data-demo]`).evaluateAll(els => els.map(e => e.getAttribute('data-demo')!))
    for (const demo of demos) {
      // Heavy demos (several methods and metrics) wait for a click; the rest run on enter.
      if (await page.locator(`[data-slidev-no="${i}"] [data-demo="${demo}"]`).first().getAttribute('data-autorun') === 'false')
        continue
      const state = await settle(page, demo)
      expect(['done', 'missing-model'], `demo ${demo} on slide ${i}`).toContain(state)
    }
    // Nothing is cut: code blocks fit their column, token labels show whole.
    const cut = await page.locator(`[data-slidev-no="${i}"]`).first().evaluate((slide) => {
      const out: string[] = []
      for (const el of slide.querySelectorAll<HTMLElement>('pre, .in-tok, .out-tok, .tok')) {
        if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)
          out.push(`${el.tagName.toLowerCase()}.${el.className}: ${JSON.stringify(el.textContent?.trim().slice(0, 40))} (${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight})`)
      }
      // The comparison tables and the ρ matrix stay on the slide (the PDF cannot scroll).
      const box = slide.getBoundingClientRect()
      for (const el of slide.querySelectorAll<HTMLElement>('[data-testid="spearman"], [data-testid="method-comparison"]')) {
        const r = el.getBoundingClientRect()
        if (r.right > box.right + 1 || r.bottom > box.bottom + 1)
          out.push(`${el.dataset.testid} ends at (${Math.round(r.right)}, ${Math.round(r.bottom)}), the slide at (${Math.round(box.right)}, ${Math.round(box.bottom)})`)
      }
      return out
    })
    expect(cut, `cut-off code or token labels on slide ${i}`).toEqual([])
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    if (i < total)
      await page.keyboard.press('ArrowRight')
  }
  expect(watch.external, 'requests that left localhost').toEqual([])
  expect(watch.consoleErrors, 'console errors').toEqual([])
})

test('a BoW demo computes and shows finite numbers and its backend', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const watch = watchPage(page)
  await page.goto(`/${slideOf.get('bow-ig')}`)
  expect(await settle(page, 'bow-ig')).toBe('done')
  const frame = page.locator('[data-demo="bow-ig"]')
  const values = await frame.locator('[data-value]').evaluateAll(els => els.map(e => Number(e.getAttribute('data-value'))))
  expect(values.length).toBeGreaterThan(0)
  expect(values.every(Number.isFinite)).toBe(true)
  await expect(frame.getByTestId('backend-badge')).toHaveAttribute('data-backend', /wasm|cpu|webgpu/)
  expect(watch.external).toEqual([])
})

test('the deck is cross-origin isolated: ONNX Runtime runs on every core, and the badge says how many threads', async ({ page }) => {
  const { slideOf } = await demoSlides()
  await page.goto(`/${slideOf.get('llm-feature-ablation')}`)
  expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true)
  const threads = Math.min(8, await page.evaluate(() => navigator.hardwareConcurrency))
  expect(await settle(page, 'llm-feature-ablation')).toBe('done')
  await expect(page.locator('[data-demo="llm-feature-ablation"]').getByTestId('backend-badge')).toHaveText(`WASM · ${threads} thread${threads === 1 ? '' : 's'}`)
})
