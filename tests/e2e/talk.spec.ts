import type { BowResponse } from '../../engine/api'
import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import { DEMOS, requestFor } from '../../components/demo/catalog'
import { cli, demoSlides, MODELS, settle } from './helpers'

/**
 * The talk as a lecturer gives it (issue 18): the presenter view shows every slide's
 * note, and the Integrated Gradients explorable's slider, dragged, walks the path to
 * completeness.
 */

test('the presenter view shows each slide\'s note', async ({ page }) => {
  test.setTimeout(300_000)
  const { parse } = await import('@slidev/parser')
  const deck = await parse(readFileSync('slides.md', 'utf8'), 'slides.md')
  await page.goto('/presenter/1')
  const note = page.locator('.slidev-note').first()
  for (const [i, slide] of deck.slides.entries()) {
    if (i > 0) {
      await page.locator('body').click({ position: { x: 5, y: 5 } })
      await page.keyboard.press('ArrowRight')
    }
    await expect(page).toHaveURL(new RegExp(`/presenter/${i + 1}(\\?|$)`))
    // The note's opening words, as the lecturer reads them (markdown stripped).
    const first = (slide.note ?? '').trim().split('\n')[0]!.replace(/[`*_]/g, '').slice(0, 50).trim()
    expect(first.length, `slide ${i + 1} has a note`).toBeGreaterThan(10)
    await expect(note, `slide ${i + 1}`).toContainText(first)
  }
})

test('the IG explorable: dragging the slider to α = 1 completes the running sums to the IG attributions', async ({ page }) => {
  const { slideOf } = await demoSlides()
  const id = 'bow-ig'
  const [ig] = cli([requestFor(DEMOS[id]!, MODELS)]) as BowResponse[]
  await page.goto(`/${slideOf.get(id)}`)
  expect(await settle(page, id)).toBe('done')
  const frame = page.locator(`[data-demo="${id}"]`)
  const slider = frame.getByTestId('ig-slider')
  const running = async () => frame.locator('[data-testid="ig-path-table"] [data-running]').evaluateAll(els => els.map(e => Number(e.getAttribute('data-running'))))

  // α = 0: nothing integrated yet.
  await slider.focus()
  await page.keyboard.press('Home')
  await expect(frame.getByTestId('ig-alpha')).toHaveText('0.000')
  expect((await running()).every(v => v === 0)).toBe(true)
  await expect(frame.getByTestId('ig-complete')).toHaveCount(0)

  // Drag the thumb to the right end with the mouse.
  const box = (await slider.boundingBox())!
  await page.mouse.move(box.x + 2, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 })
  const half = Number(await frame.getByTestId('ig-alpha').textContent())
  expect(half).toBeGreaterThan(0.2)
  expect(half).toBeLessThan(0.8)
  await page.mouse.move(box.x + box.width + 20, box.y + box.height / 2, { steps: 5 })
  await page.mouse.up()
  // The last step: Gauss–Legendre's last node sits just below α = 1 (0.999 for 50 steps).
  await expect(frame.getByTestId('ig-complete')).toBeVisible()
  expect(Number(await frame.getByTestId('ig-alpha').textContent())).toBeGreaterThan(0.99)

  // Completeness along the slider: at α = 1 the running sums are IG's attributions.
  const sums = await running()
  const scores = await frame.locator('[data-testid="ig-path-table"] tbody tr').count()
  expect(sums).toHaveLength(scores)
  ig!.scores.forEach((s, i) => expect(Math.abs(sums[i]! - s), `word ${ig!.words[i]}`).toBeLessThan(1e-5))
})
