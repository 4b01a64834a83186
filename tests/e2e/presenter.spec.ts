import { expect, test } from '@playwright/test'
import { demoSlides, settle } from './helpers'

/**
 * The lecturer types in the presenter window; the audience window (same browser, same
 * origin: a second tab or the projector window) shows the same inputs and result.
 */
test('presenter and audience windows show the same demo state', async ({ context }) => {
  const { slideOf } = await demoSlides()
  const id = 'bow-ig'
  const no = slideOf.get(id)!
  const audience = await context.newPage()
  await audience.goto(`/${no}`)
  expect(await settle(audience, id)).toBe('done')

  const presenter = await context.newPage()
  await presenter.goto(`/presenter/${no}`)
  await presenter.locator(`[data-demo="${id}"]`).first().waitFor()
  const box = presenter.locator(`[data-slidev-no="${no}"] [data-testid="demo-text"]`).first()
  await box.fill('What a wonderful, wonderful soundtrack')
  await box.press('Enter')
  await box.blur()
  const frame = presenter.locator(`[data-slidev-no="${no}"] [data-demo="${id}"]`).first()
  await expect(frame).toHaveAttribute('data-state', 'done', { timeout: 120_000 })
  await expect(frame.locator('[data-testid="word-attribution"]')).toContainText('wonderful')
  const p = await frame.getByTestId('p-positive').textContent()

  // The audience window follows: same text in its input, same result on its slide.
  const audienceFrame = audience.locator(`[data-slidev-no="${no}"] [data-demo="${id}"]`).first()
  await expect(audience.locator(`[data-slidev-no="${no}"] [data-testid="demo-text"]`).first()).toHaveValue('What a wonderful, wonderful soundtrack')
  await expect(audienceFrame.locator('[data-testid="word-attribution"]')).toContainText('wonderful', { timeout: 120_000 })
  await expect(audienceFrame.getByTestId('p-positive')).toHaveText(p!)
})
