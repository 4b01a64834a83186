import type { Page } from '@playwright/test'
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { demoSlides, watchPage } from './helpers'

/**
 * The static site built for a subpath (`npm run build -- --base /some/path/`), served
 * under that path only: slides navigate, every model/baked/wasm URL stays under the
 * base, a BoW demo shows its baked result at once ("recorded") and re-runs live with
 * the same numbers, and a bake whose model hash does not match is ignored.
 */

const repo = fileURLToPath(new URL('../..', import.meta.url))
const BASE = '/some/path/'
const OUT = '.cache/dist-sub'
const PORT = Number(process.env.SUBPATH_PORT ?? 4192)
const origin = `http://127.0.0.1:${PORT}`
const DEMO = 'bow-ig'

/** Children still running (killed in afterAll when a hook times out). */
const children = new Set<ChildProcess>()

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number, out: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: repo, env: { ...process.env, ...env } })
    children.add(child)
    child.on('close', () => children.delete(child))
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (out += d))
    child.on('close', code => done({ code: code ?? 1, out }))
  })
}

/** Every request the page makes, and every failed response. */
function recordRequests(page: Page) {
  const urls: string[] = []
  const failed: string[] = []
  page.on('request', r => urls.push(r.url()))
  page.on('response', (r) => {
    if (r.status() >= 400)
      failed.push(`${r.status()} ${r.url()}`)
  })
  return { urls, failed }
}

const frameOf = (page: Page, slide: number) => page.locator(`[data-slidev-no="${slide}"] [data-demo="${DEMO}"]`)

async function settled(page: Page, slide: number) {
  const frame = frameOf(page, slide)
  await expect(frame).toHaveAttribute('data-state', /^(done|error|missing-model)$/)
  return frame
}

function valuesOf(frame: ReturnType<typeof frameOf>) {
  return frame.locator('[data-value]').evaluateAll(els => els.map(e => Number(e.getAttribute('data-value'))))
}

test.describe('the static site under a subpath', () => {
  test.describe.configure({ timeout: 15 * 60_000 })
  let server: ChildProcess | null = null
  let slide = 0

  test.beforeAll(async () => {
    test.setTimeout(15 * 60_000)
    slide = (await demoSlides()).slideOf.get(DEMO)!
    const build = await run(process.execPath, ['node_modules/@slidev/cli/bin/slidev.mjs', 'build', '--base', BASE, '--out', OUT], { VITE_OFFLINE: '1', VITE_LLM_MODEL: 'tiny-gpt2' })
    expect(build.code, build.out.slice(-3000)).toBe(0)
    expect(existsSync(join(repo, OUT, 'baked/index.json'))).toBe(true)
    server = spawn(process.execPath, ['scripts/serve.mjs', OUT, String(PORT), BASE], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((ok, fail) => {
      server!.stdout!.on('data', (d: Buffer) => String(d).includes('serving') && ok())
      server!.on('exit', code => fail(new Error(`serve.mjs exited with ${code} (port ${PORT} in use?)`)))
    })
  })

  test.afterAll(() => {
    for (const child of children)
      child.kill()
    server?.kill()
  })

  test('built asset URLs carry the base path', () => {
    const html = readFileSync(join(repo, OUT, 'index.html'), 'utf8')
    const srcs = [...html.matchAll(/(?:src|href)="(\/[^"]*)"/g)].map(m => m[1]!)
    expect(srcs.length).toBeGreaterThan(0)
    expect(srcs.filter(s => !s.startsWith(BASE))).toEqual([])
  })

  test('navigates, shows the baked BoW result at once and re-runs it live; every URL under the base', async ({ page }) => {
    const watch = watchPage(page)
    const { urls, failed } = recordRequests(page)
    await page.goto(`${origin}${BASE}1`)
    await expect(page.locator('[data-slidev-no="1"]')).toBeVisible()
    for (const n of [2, 3]) {
      await page.keyboard.press('ArrowRight')
      await expect(page).toHaveURL(new RegExp(`${BASE}${n}(\\?|$)`))
      await expect(page.locator(`[data-slidev-no="${n}"]`).first()).toBeVisible()
    }

    await page.goto(`${origin}${BASE}${slide}`)
    const frame = await settled(page, slide)
    await expect(frame).toHaveAttribute('data-state', 'done')
    await expect(frame).toHaveAttribute('data-recorded', 'true')
    await expect(frame.getByTestId('model-state')).toContainText('recorded')
    const recorded = await valuesOf(frame)
    const pRecorded = Number(await frame.getByTestId('p-positive').textContent())
    expect(recorded.length).toBeGreaterThan(0)
    expect(recorded.every(Number.isFinite)).toBe(true)

    // Run live: the engine loads the model and the WASM runtime from under the base.
    await frame.getByTestId('run-button').click()
    await expect(frame).toHaveAttribute('data-recorded', 'false')
    await expect(frame).toHaveAttribute('data-state', 'done')
    await expect(frame.getByTestId('model-state')).toContainText('live')
    const live = await valuesOf(frame)
    expect(live).toHaveLength(recorded.length)
    live.forEach((v, i) => expect(Math.abs(v - recorded[i]!), `word ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(recorded[i]!))))
    expect(Math.abs(Number(await frame.getByTestId('p-positive').textContent()) - pRecorded)).toBeLessThanOrEqual(1e-4)

    expect(watch.external, 'requests that left localhost').toEqual([])
    const http = urls.filter(u => u.startsWith('http'))
    expect(http.some(u => u.includes(`${BASE}baked/`))).toBe(true)
    expect(http.some(u => u.includes(`${BASE}models/bow/`))).toBe(true)
    expect(http.filter(u => !new URL(u).pathname.startsWith(BASE)), 'URLs outside the base path').toEqual([])
    expect(failed, 'failed requests').toEqual([])
  })

  test('cross-origin isolated with headers, or through the service worker where a host sends none; without either the deck still runs, on one thread', async ({ browser }) => {
    // scripts/serve.mjs sends COOP/COEP.
    const isolated = await browser.newContext()
    const page = await isolated.newPage()
    await page.goto(`${origin}${BASE}${slide}`)
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true)
    let frame = await settled(page, slide)
    await frame.getByTestId('run-button').click()
    await expect(frame).toHaveAttribute('data-recorded', 'false')
    await expect(frame).toHaveAttribute('data-state', 'done')
    await isolated.close()

    // A host that sends no headers (GitHub Pages): public/coi-sw.js adds them after one reload.
    const plain = spawn(process.execPath, ['scripts/serve.mjs', OUT, String(PORT + 1), BASE], { cwd: repo, env: { ...process.env, COI: '0' }, stdio: ['ignore', 'pipe', 'inherit'] })
    children.add(plain)
    await new Promise<void>(ok => plain.stdout!.on('data', (d: Buffer) => String(d).includes('serving') && ok()))
    const plainOrigin = `http://127.0.0.1:${PORT + 1}`
    const sw = await browser.newContext()
    const swPage = await sw.newPage()
    await swPage.goto(`${plainOrigin}${BASE}${slide}`)
    await expect.poll(() => swPage.evaluate(() => window.crossOriginIsolated).catch(() => false), { timeout: 30_000 }).toBe(true)
    await sw.close()

    // Service workers blocked too: the deck still runs, on one thread, and says so.
    const blocked = await browser.newContext({ serviceWorkers: 'block' })
    const one = await blocked.newPage()
    await one.goto(`${plainOrigin}${BASE}${slide}`)
    expect(await one.evaluate(() => window.crossOriginIsolated)).toBe(false)
    frame = one.locator(`[data-slidev-no="${slide}"] [data-demo="${DEMO}"]`)
    await expect(frame).toHaveAttribute('data-state', /^(done|error|missing-model)$/)
    await frame.getByTestId('run-button').click()
    await expect(frame).toHaveAttribute('data-recorded', 'false')
    await expect(frame.getByTestId('backend-badge')).toHaveText('WASM · 1 thread')
    await blocked.close()
    plain.kill()
  })

  test('a bake whose model hash does not match is ignored: the demo computes live', async ({ page }) => {
    const { urls } = recordRequests(page)
    await page.route(`**${BASE}baked/index.json`, async (route) => {
      const real = await (await route.fetch()).json() as { entries: Record<string, { modelHash: string }> }
      for (const entry of Object.values(real.entries))
        entry.modelHash = '0'.repeat(64)
      await route.fulfill({ json: real })
    })
    await page.goto(`${origin}${BASE}${slide}`)
    const frame = await settled(page, slide)
    await expect(frame).toHaveAttribute('data-state', 'done')
    await expect(frame).toHaveAttribute('data-recorded', 'false')
    await expect(frame.getByTestId('model-state')).toContainText('live')
    expect((await valuesOf(frame)).length).toBeGreaterThan(0)
    expect(urls.some(u => u.includes(`${BASE}baked/index.json`))).toBe(true)
    expect(urls.filter(u => /baked\/[0-9a-f]{20}\.json$/.test(u)), 'stale baked responses fetched').toEqual([])
  })
})
