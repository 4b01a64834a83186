import type { BowResponse, LlmResponse } from '../../engine/api'
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

test('the LLM runs on WebGPU: its score path and its gradient path match the CLI', async ({ page }) => {
  test.setTimeout(600_000)
  const { slideOf } = await demoSlides()
  // FeatureAblation reads the score path, LayerIntegratedGradients the gradient path (the
  // K target tokens of one IG step share a forward: broadcast 5-D MatMuls on WebGPU).
  for (const id of ['llm-feature-ablation', 'llm-layer-ig']) {
    const [want] = cli([requestFor(DEMOS[id]!, MODELS)]) as LlmResponse[]
    await page.goto(`/${slideOf.get(id)}?ahead=off`)
    expect(await settle(page, id, 540_000), id).toBe('done')
    // Computed here, not a recorded bake.
    await runLive(page, id)
    await expect(page.locator(`[data-demo="${id}"] [data-testid="backend-badge"]`)).toHaveAttribute('data-backend', 'webgpu')
    // WebGPU's float32 kernels sum in other orders than the CPU's: relative agreement.
    const scale = Math.max(...want!.seqAttr.map(Math.abs))
    expectClose(await readValues(page, id, '[data-testid="seq-attr"]'), want!.seqAttr, 1e-3 * scale + 1e-6, `${id} seqAttr on WebGPU`)
  }
})
