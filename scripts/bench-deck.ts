/**
 * `npm run bench:deck -- [--llm fixtures/distil-gpt2] [--modes cold,ahead] [--ahead-s 20]
 *   [--limit-s 300] [--webgpu] [--reuse-build]`
 *
 * The deck as the audience sees it: builds it (offline, `VITE_LLM_MODEL` = the LLM
 * folder's name, default the distil-shaped fixture, made when missing), serves it with
 * `scripts/serve.mjs` (cross-origin isolated), walks every slide in headless system
 * Chromium with the arrow key and prints one table row per demo: the time from entering
 * its slide to its result, for two walks, each in a fresh browser (a fresh worker, the
 * model not loaded):
 *
 * - cold: `?ahead=off`, the next slide is entered as soon as this one's demos settle,
 *   so every demo starts computing when its slide is entered (the first LLM demo pays
 *   the model load);
 * - ahead: compute-ahead on, every slide stays on screen `--ahead-s` seconds (default
 *   20, a lecturer's shortest talk over a slide) before the next is entered.
 *
 * Each row also names where the result came from (live, or recorded by `npm run bake`:
 * shown at once, it says nothing about speed), the backend and the WASM threads.
 * WASM by default (`?webgpu=off`); `--webgpu` lets the deck pick WebGPU when the
 * browser has an adapter (on a real GPU; here the adapter is SwiftShader, a CPU).
 */
import type { Browser } from '@playwright/test'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { basename, join, resolve } from 'node:path'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { chromium } from '@playwright/test'
import { markdownTable } from '../bench/markdown-table'
import { chromiumArgs } from '../playwright.config'
import { markAvailable } from './lib-available.mjs'

const USAGE = 'usage: npm run bench:deck -- [--llm <model folder>] [--modes cold,ahead] [--ahead-s 20] [--limit-s 300] [--webgpu] [--reuse-build]'

function options() {
  try {
    const { values } = parseArgs({
      options: {
        'llm': { type: 'string', default: 'fixtures/distil-gpt2' },
        'modes': { type: 'string', default: 'cold,ahead' },
        'ahead-s': { type: 'string', default: '20' },
        'limit-s': { type: 'string', default: '300' },
        'webgpu': { type: 'boolean', default: false },
        'reuse-build': { type: 'boolean', default: false },
        'help': { type: 'boolean', default: false },
      },
    })
    if (values.help) {
      console.log(USAGE)
      process.exit(0)
    }
    const modes = values.modes.split(',').map(m => m.trim())
    const bad = modes.find(m => m !== 'cold' && m !== 'ahead')
    if (bad)
      throw new Error(`unknown mode "${bad}" (known: cold, ahead)`)
    const aheadS = Number(values['ahead-s'])
    const limitS = Number(values['limit-s'])
    if (!(aheadS >= 0) || !(limitS > 0))
      throw new Error('--ahead-s and --limit-s take a number of seconds')
    return { llm: values.llm, modes: modes as Array<'cold' | 'ahead'>, aheadS, limitS, webgpu: values.webgpu, reuseBuild: values['reuse-build'] }
  }
  catch (e) {
    console.error(`bench:deck: ${(e as Error).message}. ${USAGE}`)
    process.exit(2)
  }
}

const opts = options()
const OUT_DIR = '.bench-deck/dist'
const chromiumPath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p)) ?? '/usr/bin/chromium'

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  console.error(`[bench-deck] ${cmd} ${args.join(' ')}`)
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } })
  if (res.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status}`)
}

/** Builds the deck with `llmName` as its LLM and links the model folder into the build. */
function buildDeck(llmFolder: string, llmName: string) {
  if (!(opts.reuseBuild && existsSync(join(OUT_DIR, 'index.html')))) {
    rmSync(join(OUT_DIR, 'models', llmName), { force: true })
    const t0 = performance.now()
    run('npx', ['slidev', 'build', '--out', OUT_DIR], { VITE_OFFLINE: '1', VITE_LLM_MODEL: llmName })
    console.error(`[bench-deck] built the deck in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${OUT_DIR}`)
  }
  const link = join(OUT_DIR, 'models', llmName)
  rmSync(link, { force: true, recursive: false })
  mkdirSync(join(OUT_DIR, 'models'), { recursive: true })
  symlinkSync(resolve(llmFolder), link, 'dir')
  markAvailable(join(OUT_DIR, 'models'), llmName)
}

async function serve(port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['scripts/serve.mjs', OUT_DIR, String(port), '/'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((res, rej) => {
    child.once('exit', code => rej(new Error(`scripts/serve.mjs exited with ${code}`)))
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('serving'))
        res()
    })
  })
  return () => child.kill()
}

interface DemoTiming {
  slide: number
  demo: string
  state: string
  ms: number
  recorded: boolean
  backend: string
  /** For a demo that fills in row by row: when each row appeared after entry, in order. */
  rows: Array<{ method: string, ms: number }>
}

/**
 * One walk through the deck in a fresh browser context: enters slide after slide and
 * times each demo from the key press to its settled state.
 */
async function walk(browser: Browser, origin: string, mode: 'cold' | 'ahead'): Promise<DemoTiming[]> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
  const page = await context.newPage()
  const params = new URLSearchParams()
  if (!opts.webgpu)
    params.set('webgpu', 'off')
  if (mode === 'cold')
    params.set('ahead', 'off')
  await page.goto(`${origin}/1?${params}`)
  await page.waitForSelector('[data-slidev-no="1"]')
  // Slidev mounts every slide 3 s after load: then all demo frames are in the page.
  await page.waitForTimeout(3500)
  const demosBySlide = await page.evaluate(() => {
    const out: Record<number, string[]> = {}
    for (const el of document.querySelectorAll('[data-demo]')) {
      const no = Number(el.closest('[data-slidev-no]')?.getAttribute('data-slidev-no'))
      if (no)
        (out[no] ??= []).push(el.getAttribute('data-demo')!)
    }
    return out
  })
  const total = await page.evaluate(() => document.querySelectorAll('[data-slidev-no]').length)
  const timings: DemoTiming[] = []
  for (let no = 1; no <= total; no++) {
    const demos = [...new Set(demosBySlide[no] ?? [])]
    if (no > 1) {
      // Enter slide `no`: the clock starts at the key press, in the page's own time.
      await page.evaluate(() => {
        const g = globalThis as unknown as { benchEnter: number, benchRows: Record<string, number>, benchRowsTimer?: number }
        g.benchEnter = performance.now()
        // Rows of a demo that fills in row by row (the faithfulness table): when each appeared.
        g.benchRows = {}
        clearInterval(g.benchRowsTimer)
        g.benchRowsTimer = setInterval(() => {
          for (const tr of document.querySelectorAll('[data-slidev-no] [data-demo] tr[data-method][data-ready]')) {
            const key = `${tr.closest('[data-demo]')!.getAttribute('data-demo')}\0${tr.getAttribute('data-method')}`
            g.benchRows[key] ??= performance.now() - g.benchEnter
          }
        }, 50) as unknown as number
      })
      await page.keyboard.press('ArrowRight')
      await page.waitForFunction(n => location.pathname.endsWith(`/${n}`), no)
    }
    const enteredAt = Date.now()
    for (const demo of demos) {
      const settled = await page.waitForFunction((id) => {
        const el = document.querySelector(`[data-slidev-no] [data-demo="${id}"][data-state="done"], [data-demo="${id}"][data-state="error"], [data-demo="${id}"][data-state="missing-model"]`)
        return el ? performance.now() - ((globalThis as unknown as { benchEnter?: number }).benchEnter ?? 0) : null
      }, demo, { timeout: opts.limitS * 1000, polling: 50 }).then(h => h.jsonValue() as Promise<number>, () => null)
      const frame = page.locator(`[data-demo="${demo}"]`).first()
      const state = settled === null ? `not settled in ${opts.limitS} s` : (await frame.getAttribute('data-state')) ?? '?'
      const recorded = (await frame.getAttribute('data-recorded')) === 'true'
      const badge = frame.locator('[data-testid="backend-badge"]')
      const backend = (await badge.count()) ? ((await badge.first().textContent()) ?? '').trim() : ''
      const rows = no === 1
        ? []
        : await page.evaluate(id => Object.entries((globalThis as unknown as { benchRows: Record<string, number> }).benchRows)
            .filter(([k]) => k.startsWith(`${id}\0`))
            .map(([k, ms]) => ({ method: k.slice(id.length + 1), ms }))
            .sort((a, b) => a.ms - b.ms), demo)
      timings.push({ slide: no, demo, state, ms: no === 1 ? Number.NaN : settled ?? Number.NaN, recorded, backend, rows })
      console.error(`[bench-deck] ${mode} slide ${no} ${demo}: ${state}${settled === null ? '' : ` after ${(settled / 1000).toFixed(2)} s`}${recorded ? ' (recorded)' : ''} ${backend}`)
      for (const r of rows) console.error(`[bench-deck]   row ${r.method}: ${(r.ms / 1000).toFixed(2)} s`)
    }
    // ahead: the lecturer talks over the slide; compute-ahead works meanwhile.
    if (mode === 'ahead' && no < total)
      await page.waitForTimeout(Math.max(0, opts.aheadS * 1000 - (Date.now() - enteredAt)))
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  }
  await context.close()
  return timings
}

function fmt(t: DemoTiming | undefined) {
  if (!t)
    return '–'
  if (t.state !== 'done')
    return t.state
  if (Number.isNaN(t.ms))
    return 'first slide'
  return `${(t.ms / 1000).toFixed(2)} s${t.recorded ? ' (recorded)' : ''}`
}

async function main() {
  if (!existsSync(chromiumPath)) {
    console.log(`bench:deck skipped: no Chromium at ${chromiumPath} (set CHROMIUM_PATH)`)
    return
  }
  const llmFolder = opts.llm
  if (!existsSync(join(llmFolder, 'config.json'))) {
    if (llmFolder !== 'fixtures/distil-gpt2')
      throw new Error(`no model folder at ${llmFolder} (it needs config.json)`)
    run('npx', ['tsx', 'scripts/make-fixtures.ts', '--shape', 'distil', '--out', llmFolder])
  }
  const llmName = basename(resolve(llmFolder))
  buildDeck(llmFolder, llmName)
  const port = 4300 + Math.floor(Math.random() * 500)
  const stop = await serve(port)
  const origin = `http://127.0.0.1:${port}`
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : [])] })
  const t0 = performance.now()
  try {
    const walks: Partial<Record<'cold' | 'ahead', DemoTiming[]>> = {}
    for (const mode of opts.modes)
      walks[mode] = await walk(browser, origin, mode)
    const base = walks.cold ?? walks.ahead ?? []
    console.log(`## The deck in Chromium ${browser.version()}, walked slide by slide (LLM: ${llmFolder}, ${opts.webgpu ? 'WebGPU when offered' : 'WASM'})\n`)
    console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}. Time from entering a slide (arrow key) to the demo's result. cold: \`?ahead=off\`, slides entered one after another. ahead: compute-ahead on, the slide before shown ${opts.aheadS} s. Each walk starts in a fresh browser context (the model not loaded). "recorded": a result baked by \`npm run bake\`, shown at once.\n`)
    const rows = base.map((t) => {
      const ahead = walks.ahead?.find(a => a.demo === t.demo)
      return { 'slide': t.slide, 'demo': t.demo, 'cold': fmt(walks.cold?.find(c => c.demo === t.demo)), [`ahead (${opts.aheadS} s before)`]: fmt(ahead), 'backend · threads': t.backend || ahead?.backend || '' }
    })
    console.log(markdownTable(rows))
    // The faithfulness table shows each row as soon as it is ready: when each one came.
    for (const t of base.filter(b => b.rows.length > 0)) {
      console.log(`\nRows of ${t.demo} (slide ${t.slide}), seconds from entry to the row:\n`)
      console.log(markdownTable(t.rows.map(r => ({
        row: r.method,
        cold: walks.cold?.find(c => c.demo === t.demo)?.rows.find(c => c.method === r.method)?.ms,
        ahead: walks.ahead?.find(a => a.demo === t.demo)?.rows.find(a => a.method === r.method)?.ms,
      })).map(r => ({ row: r.row, cold: r.cold === undefined ? '–' : `${(r.cold / 1000).toFixed(2)} s`, [`ahead (${opts.aheadS} s before)`]: r.ahead === undefined ? '–' : `${(r.ahead / 1000).toFixed(2)} s` }))))
    }
    console.log(`(deck bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()[0]!.toFixed(1)} at the end)`)
  }
  finally {
    await browser.close()
    stop()
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`bench:deck failed: ${(e as Error).message}`)
  process.exit(1)
})
