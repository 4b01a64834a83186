import type { BowResponse } from '../../engine/api'
import { expect, test } from '@playwright/test'
import { DEMOS, requestFor } from '../../components/demo/catalog'
import { chromiumArgs } from '../../playwright.config'
import { cli, demoSlides, expectClose, MODELS, readValues, runLive, settle } from './helpers'

// Chromium's SwiftShader adapter (`--enable-unsafe-webgpu`): a correct WebGPU on the CPU,
// 25–60× slower than WASM. This checks the WebGPU code path's numbers, not its speed.
test.use({ launchOptions: { executablePath: '/usr/bin/chromium', args: [...chromiumArgs, '--enable-unsafe-webgpu'] } })

test('the BoW demo runs on WebGPU and matches the CLI', async ({ page }) => {
  test.setTimeout(300_000)
  const { slideOf } = await demoSlides()
  const id = 'bow-intro'
  const [want] = cli([requestFor(DEMOS[id]!, MODELS)]) as BowResponse[]
  await page.goto(`/${slideOf.get(id)}`)
  await settle(page, id)
  await runLive(page, id)
  await expect(page.locator(`[data-demo="${id}"] [data-testid="backend-badge"]`)).toHaveAttribute('data-backend', 'webgpu')
  // On WebGPU the badge needs no excuse ('no WebGPU', 'GPU lost' are for the fallback).
  await expect(page.locator(`[data-demo="${id}"] [data-testid="backend-note"]`)).toHaveCount(0)
  const shown = [...new Set(await readValues(page, id, '[data-testid="word-attribution"]'))].sort((a, b) => a - b)
  expectClose(shown, [...new Set(want!.scores)].sort((a, b) => a - b), 1e-5, 'webgpu scores')
})
