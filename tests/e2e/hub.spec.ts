import type { ChildProcess } from 'node:child_process'
import type { StandInHub } from '../unit/hub/stand-in-hub'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { expect, test } from '@playwright/test'
import { hubFilesFromFolder, startStandInHub } from '../unit/hub/stand-in-hub'
import { demoSlides, settle, watchPage } from './helpers'

/**
 * The first run needs no extra step: with no public/models/distilgpt2/, the deck fetches
 * the model from the hub (here a stand-in on 127.0.0.1 serving our tiny GPT-2 fixture as
 * Xenova/distilgpt2 + distilbert/distilgpt2), shows the one-line hub notice, keeps the
 * files in Cache Storage (`explain-llm-live-models-v1`, older versions deleted), and a
 * reload computes again without downloading.
 *
 * It needs its own build (the default e2e build is offline), so it is skipped unless
 * E2E_HUB=1. To run it:
 *
 *   npm run fixtures
 *   VITE_OFFLINE=0 VITE_HUB_URL=http://127.0.0.1:4180 npx slidev build --out .cache/dist-hub
 *   E2E_HUB=1 npx playwright test tests/e2e/hub.spec.ts
 *
 * (E2E_HUB_PORT, default 4180, must match VITE_HUB_URL; E2E_HUB_DIST moves the build.)
 */

// Playwright runs from the repo root (as helpers.ts assumes for slides.md).
const ROOT = process.cwd()
const HUB_PORT = Number(process.env.E2E_HUB_PORT ?? 4180)
const DECK_PORT = Number(process.env.E2E_HUB_DECK_PORT ?? 4181)
const DIST = resolve(ROOT, process.env.E2E_HUB_DIST ?? '.cache/dist-hub')
const FIXTURE = join(ROOT, 'fixtures/tiny-gpt2')
const DEMO = 'llm-feature-ablation'
// The deck's one ONNX Runtime session is the attribution graph, generated in the worker
// from the weights: it downloads model.safetensors and never the hub's exported ONNX.
const WEIGHTS = '/distilbert/distilgpt2/resolve/main/model.safetensors'
const ONNX = '/Xenova/distilgpt2/resolve/main/onnx/decoder_model_merged.onnx'

const skipReason = process.env.E2E_HUB !== '1'
  ? 'hub e2e skipped: set E2E_HUB=1 after `VITE_OFFLINE=0 VITE_HUB_URL=http://127.0.0.1:4180 npx slidev build --out .cache/dist-hub` (see tests/e2e/hub.spec.ts)'
  : !existsSync(join(DIST, 'index.html'))
      ? `hub e2e skipped: no deck built at ${DIST} (see tests/e2e/hub.spec.ts for the build command)`
      : !existsSync(join(FIXTURE, 'onnx/decoder_model_merged.onnx'))
          ? 'hub e2e skipped: fixtures/tiny-gpt2 is missing (run `npm run fixtures`)'
          : existsSync(join(DIST, 'models/distilgpt2'))
            ? `hub e2e skipped: ${DIST}/models/distilgpt2 exists, so the deck would not use the hub`
            : null

test.describe('distilgpt2 from the hub on first run', () => {
  test.skip(skipReason !== null, skipReason ?? '')

  let hub: StandInHub
  let deck: ChildProcess

  test.beforeAll(async () => {
    hub = await startStandInHub(hubFilesFromFolder(FIXTURE), {}, HUB_PORT)
    deck = spawn(process.execPath, [join(ROOT, 'scripts/serve.mjs'), DIST, String(DECK_PORT), '/'], { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${DECK_PORT}/`).then(r => r.ok, () => false)
      if (up)
        break
      await new Promise(r => setTimeout(r, 100))
    }
  })

  test.afterAll(async () => {
    deck?.kill()
    await hub?.close()
  })

  test('downloads once with the notice shown, caches, and computes again after a reload without downloading', async ({ page }) => {
    const { slideOf } = await demoSlides()
    const slide = slideOf.get(DEMO)
    expect(slide, `demo ${DEMO} in slides.md`).toBeDefined()
    const url = `http://127.0.0.1:${DECK_PORT}/${slide}`
    const watch = watchPage(page)

    // An old cache version from an earlier deck: must be gone once the hub is used.
    await page.goto(`http://127.0.0.1:${DECK_PORT}/1`)
    await page.evaluate(async () => {
      const old = await caches.open('explain-llm-live-models-v0')
      await old.put('http://example.invalid/x', new Response('old'))
    })

    await page.goto(url)
    await expect(page.getByTestId('hub-notice').first()).toContainText('npm run models')
    await expect(page.getByTestId('hub-notice').first()).toHaveAttribute('data-source', 'hub')
    const frame = page.locator(`[data-demo="${DEMO}"]`)
    const why = async () => `${(await frame.locator('[role="alert"]').allTextContents()).join(' ')} ${watch.consoleErrors.join(' ')}`
    expect(await settle(page, DEMO), await why()).toBe('done')
    const values = await frame.locator('[data-value]').evaluateAll(els => els.map(e => Number(e.getAttribute('data-value'))))
    expect(values.length).toBeGreaterThan(0)
    expect(values.every(Number.isFinite)).toBe(true)
    expect(hub.requests.filter(r => r.method === 'GET' && r.path === WEIGHTS)).toHaveLength(1)
    expect(hub.requests.filter(r => r.path === ONNX)).toEqual([])

    const cacheNames = await page.evaluate(() => caches.keys())
    expect(cacheNames).toContain('explain-llm-live-models-v1')
    expect(cacheNames).not.toContain('explain-llm-live-models-v0')
    const cachedUrls = await page.evaluate(async () => (await (await caches.open('explain-llm-live-models-v1')).keys()).map(r => r.url))
    expect(cachedUrls).toContain(`http://127.0.0.1:${HUB_PORT}${WEIGHTS}`)

    // Second visit: a new worker, the same Cache Storage; no byte of the model is downloaded again.
    // The demos' shared state (localStorage) is cleared so that the slide really computes.
    const before = hub.requests.filter(r => r.path.includes('/resolve/')).length
    await page.evaluate(() => localStorage.clear())
    const located: string[] = []
    page.on('request', (req) => {
      if (req.url().includes('/models/distilgpt2/'))
        located.push(req.url())
    })
    await page.reload()
    await page.goto(url)
    expect(await settle(page, DEMO), await why()).toBe('done')
    expect(located.length, 'the worker looked for the model again (a real second run)').toBeGreaterThan(0)
    // The notice follows the load events: now the files come from the browser's cache.
    await expect(page.getByTestId('hub-notice').first()).toHaveAttribute('data-source', 'cache')
    expect(hub.requests.filter(r => r.path.includes('/resolve/')).length).toBe(before)
    expect(watch.external, 'requests that left localhost').toEqual([])
  })
})
