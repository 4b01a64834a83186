import type { BowResponse } from '../../engine/api'
import { expect, test } from '@playwright/test'
import { DEMOS, requestFor } from '../../components/demo/catalog'
import { chromiumArgs } from '../../playwright.config'
import { cli, demoSlides, expectClose, MODELS, readValues, runLive, settle } from './helpers'

// A GPU device lost in the middle of a run, in a real browser: Chromium's SwiftShader
// WebGPU (`--enable-unsafe-webgpu`), and a real `GPUDevice.destroy()`, which makes
// `device.lost` resolve with reason 'destroyed' and every later read-back reject, as a
// driver reset would. Playwright's init scripts do not reach Web Workers, so the test
// reaches into the engine worker with `worker.evaluate`.
test.use({ launchOptions: { executablePath: '/usr/bin/chromium', args: [...chromiumArgs, '--enable-unsafe-webgpu'] } })

test('a GPU device lost during a run: the run is repeated on WASM, the slide says so, and the next run works', async ({ page }) => {
  test.setTimeout(180_000)
  const { slideOf } = await demoSlides()
  const id = 'bow-intro'
  const [want] = cli([requestFor(DEMOS[id]!, MODELS)]) as BowResponse[]
  const frame = page.locator(`[data-demo="${id}"]`)
  const badge = frame.getByTestId('backend-badge')
  const notice = frame.getByTestId('demo-notice')
  const scores = async () => [...new Set(await readValues(page, id, '[data-testid="word-attribution"]'))].sort((a, b) => a - b)
  const wanted = [...new Set(want!.scores)].sort((a, b) => a - b)

  await page.goto(`/${slideOf.get(id)}`)
  await settle(page, id)
  // The engine worker starts with the first live run; that run computes on WebGPU.
  await runLive(page, id)
  await expect(badge).toHaveAttribute('data-backend', 'webgpu')
  const engineWorker = page.workers().find(w => /worker/.test(w.url()))
  expect(engineWorker, `engine worker among ${page.workers().map(w => w.url()).join(', ')}`).toBeTruthy()

  // The next command encoder the device makes (the run's first GPU work) destroys the
  // device first: the loss lands inside the run, after it has started computing.
  await engineWorker!.evaluate(() => {
    const proto = (globalThis as unknown as { GPUDevice: { prototype: { createCommandEncoder: (...a: unknown[]) => unknown, destroy: () => void } } }).GPUDevice.prototype
    const original = proto.createCommandEncoder
    proto.createCommandEncoder = function (this: typeof proto, ...args: unknown[]) {
      proto.createCommandEncoder = original
      this.destroy()
      return original.apply(this, args)
    }
  })

  await frame.getByTestId('run-button').click()
  await expect(notice).toContainText('The GPU device was lost (TensorFlow.js, reason: destroyed')
  await expect(notice).toContainText('repeated on WASM')
  expect(await settle(page, id)).toBe('done')
  await expect(badge).toHaveAttribute('data-backend', 'wasm')
  await expect(frame.getByTestId('backend-note')).toHaveAttribute('data-fallback', 'lost')
  await expect(frame.getByTestId('backend-note')).toHaveText('GPU lost')
  expectClose(await scores(), wanted, 1e-5, 'scores of the repeated run')
  // Nothing stuck: Run is clickable, Cancel is not.
  await expect(frame.getByTestId('run-button')).toBeEnabled()
  await expect(frame.getByTestId('cancel-button')).toBeDisabled()

  // The next run goes straight to WASM (the notice belonged to the interrupted run).
  await frame.getByTestId('run-button').click()
  await expect(notice).toHaveCount(0)
  expect(await settle(page, id)).toBe('done')
  await expect(badge).toHaveAttribute('data-backend', 'wasm')
  expectClose(await scores(), wanted, 1e-5, 'scores of the next run')
  await expect(frame.getByTestId('run-button')).toBeEnabled()
})
