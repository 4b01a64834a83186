/**
 * `npx tsx scripts/bench-browser.ts [--quick] [--models tiny,distil] [--backends wasm,webgpu]
 *   [--methods all|M1,M2] [--webgpu-models tiny] [--webgpu-methods all|M1,M2] [--repeats N] [--limit-s S] [--grace-s S] [--reuse-build]`
 *
 * The LLM section of `npm run bench` (`scripts/bench.ts`), in Chromium: the same Palm
 * Coast requests (`bench/llm-requests.ts`) through the deck's own engine worker
 * (`engine/worker.ts`, configured by `deckConfig()`), on WASM and, when the browser
 * offers an adapter, WebGPU. It builds the bench page (`bench/`) with Vite, serves it
 * with `scripts/serve.mjs` (models under /models/<name>/, linked to fixtures/), drives
 * the system Chromium headless with Playwright, and prints a markdown table of the
 * engine's counters (response `stats`) and the page's `performance.now()`.
 *
 * - No Chromium at /usr/bin/chromium (or $CHROMIUM_PATH): prints "skipped" and exits 0.
 * - `--quick`: one repeat, the tiny fixture only.
 * - Default models: tiny, and distil when fixtures/distil-gpt2 exists. WebGPU runs only on
 *   the models of `--webgpu-models` (default tiny): Chromium's adapter here is SwiftShader,
 *   WebGPU on the CPU, far slower than WASM. On such a software adapter WebGPU runs, by
 *   default, FeatureAblation (the score path) and LayerIntegratedGradients (the gradient
 *   path of the same ONNX Runtime session) only; `--webgpu-methods all` runs every method.
 * - After a model's methods, prints the engine worker's memory
 *   (`performance.measureUserAgentSpecificMemory`).
 * - Every run is cancelled (the engine's cancel message) after `--limit-s` seconds
 *   (default 300); its row then says how far it got. If the engine does not stop within
 *   `--grace-s` (default 30) the page terminates the worker.
 * Offline: the page is built with VITE_OFFLINE semantics and only ever asks our server.
 */
import type { Browser, Page } from '@playwright/test'
import type { AdapterInfo, BenchOutcome, BenchPageApi, BenchRunSpec, PageInfo } from '../bench/protocol'
import type { AttributionRequest, MethodName, MethodOptions } from '../engine/api'
import { spawn } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync, unlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { chromium } from '@playwright/test'
import { BENCH_METHODS, methodLabel, palmRequest, warmupRequests } from '../bench/llm-requests'
import { markdownTable, median } from '../bench/markdown-table'
import benchViteConfig, { BENCH_OUT_DIR } from '../bench/vite.config'
import { chromiumArgs } from '../playwright.config'
import { watchPage } from '../tests/e2e/helpers'
import { numberFlag, parseFlags } from './lib-args'

const USAGE = 'usage: npm run bench:browser -- [--quick] [--repeats 3] [--limit-s 300] [--grace-s 30] [--backends wasm,webgpu] [--models tiny,distil] [--webgpu-models tiny] [--methods all|<Method,…>] [--webgpu-methods all|<Method,…>] [--reuse-build]'
const flags = parseFlags(USAGE, {
  'quick': { type: 'boolean', default: false },
  'repeats': { type: 'string' },
  'limit-s': { type: 'string' },
  'grace-s': { type: 'string' },
  'backends': { type: 'string' },
  'models': { type: 'string' },
  'webgpu-models': { type: 'string' },
  'methods': { type: 'string' },
  'webgpu-methods': { type: 'string' },
  'reuse-build': { type: 'boolean', default: false },
})
const list = (s: string | undefined) => s?.split(',').map(x => x.trim()).filter(Boolean)

const quick = flags.quick
const repeats = numberFlag(USAGE, 'repeats', flags.repeats, quick ? 1 : 3)
const limitS = numberFlag(USAGE, 'limit-s', flags['limit-s'], 300)
const graceS = numberFlag(USAGE, 'grace-s', flags['grace-s'], 30)
const backends = list(flags.backends) ?? ['wasm', 'webgpu']
const webgpuModels = list(flags['webgpu-models']) ?? ['tiny']
/** Method names (Captum's class names) to run; 'all' or absent: every one of BENCH_METHODS. */
const methodsArg = list(flags.methods)
const webgpuMethodsArg = list(flags['webgpu-methods'])
/** Software WebGPU: one method per path of the attribution graph (score, gradient) unless told otherwise. */
const SOFTWARE_WEBGPU_METHODS: MethodName[] = ['FeatureAblation', 'LayerIntegratedGradients']

/** Short names on the command line → fixture folders (served as /models/<folder name>/). */
const MODELS: Record<string, string> = { tiny: 'fixtures/tiny-gpt2', distil: 'fixtures/distil-gpt2' }
const DISTIL_HINT = 'npm run fixtures -- --shape distil --out fixtures/distil-gpt2'

const chromiumPath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p)) ?? '/usr/bin/chromium'

interface Group {
  model: string
  folder: string
  backend: 'wasm' | 'webgpu'
  /** null: every method of BENCH_METHODS. */
  methods: MethodName[] | null
}

interface Row {
  model: string
  backend: string
  method: string
  outcome: BenchOutcome
  /** Medians over the repeats (a 'done' outcome only). */
  wallMs?: number
  engineMs?: number
  repeats: number
}

/** A free TCP port on 127.0.0.1 for the static server. */
function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => res(port))
    })
  })
}

/**
 * Builds the bench page into BENCH_OUT_DIR and links the fixtures under models/. The
 * links are removed before the build, so that emptying the output folder can never reach
 * into fixtures/.
 */
async function buildSite(folders: string[], reuse: boolean) {
  const modelsDir = join(BENCH_OUT_DIR, 'models')
  if (existsSync(modelsDir)) {
    for (const name of readdirSync(modelsDir)) {
      if (lstatSync(join(modelsDir, name)).isSymbolicLink())
        unlinkSync(join(modelsDir, name))
    }
  }
  if (!(reuse && existsSync(join(BENCH_OUT_DIR, 'index.html')))) {
    const t0 = performance.now()
    const { build } = await import('vite')
    // The config object itself (already loaded by tsx), not the file: no second config loader.
    await build({ ...benchViteConfig, configFile: false })
    console.error(`[bench-browser] built the bench page in ${((performance.now() - t0) / 1000).toFixed(0)} s → ${BENCH_OUT_DIR}`)
  }
  mkdirSync(modelsDir, { recursive: true })
  for (const folder of folders)
    symlinkSync(resolve(folder), join(modelsDir, folder.split('/').pop()!), 'dir')
}

/** Starts scripts/serve.mjs on the built page; resolves once it listens. */
async function serve(port: number): Promise<() => void> {
  const child = spawn(process.execPath, ['scripts/serve.mjs', BENCH_OUT_DIR, String(port), '/'], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((res, rej) => {
    child.once('exit', code => rej(new Error(`scripts/serve.mjs exited with ${code}`)))
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('serving'))
        res()
    })
  })
  return () => child.kill()
}

/** How a backend shows in the table: the engine's own name, plus what the adapter really is. */
function backendLabel(ran: string | undefined, asked: Group['backend'], adapter: AdapterInfo | null, fallback?: string): string {
  if (!ran)
    return asked
  if (ran !== 'webgpu')
    return ran === asked ? ran : `${ran} (asked ${asked}${fallback ? `: ${fallback}` : ''})`
  const text = adapter ? `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}` : ''
  if (/swiftshader/i.test(text))
    return 'webgpu (SwiftShader, software)'
  if (adapter?.isFallbackAdapter)
    return 'webgpu (fallback adapter, software)'
  return `webgpu (${[adapter?.vendor, adapter?.architecture].filter(Boolean).join(' ') || 'adapter'})`
}

async function runInPage(page: Page, request: AttributionRequest, limit = limitS): Promise<BenchOutcome> {
  const spec: BenchRunSpec = { request, limitS: limit, graceS }
  return page.evaluate(s => (globalThis as unknown as { bench: BenchPageApi }).bench.run(s), spec)
}

const seconds = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(0))

function describe(o: BenchOutcome): string {
  if (o.kind === 'done')
    return `${o.wallMs.toFixed(0)} ms`
  if (o.kind === 'cancelled')
    return `cancelled after ${seconds(o.afterMs)} s (${o.done}/${o.total} rows)${o.terminated ? ', worker terminated' : ''}`
  return `error (${o.code}): ${o.message}`
}

/** One model on one backend: a fresh page (a fresh worker), the warm-up, then every method. */
async function runGroup(browser: Browser, origin: string, group: Group, adapter: AdapterInfo | null): Promise<Row[]> {
  const page = await browser.newPage()
  const watch = watchPage(page)
  // `?webgpu=off` is the deck's own switch to its WASM fallback (deckConfig()).
  await page.goto(`${origin}/${group.backend === 'wasm' ? '?webgpu=off' : ''}`)
  await page.waitForSelector('body[data-ready="true"]')
  const n = group.model === 'distil-gpt2' ? Math.max(1, Math.min(repeats, 2)) : repeats
  const rows: Row[] = []
  const tag = `[bench-browser] ${group.model} ${group.backend}`
  const warmUp = async (): Promise<BenchOutcome | null> => {
    for (const request of warmupRequests(group.model)) {
      // Loading a model is not what --limit-s bounds: at least 10 minutes for the warm-up.
      const o = await runInPage(page, request, Math.max(limitS, 600))
      if (o.kind !== 'done')
        return o
    }
    return null
  }
  const t0 = performance.now()
  const failed = await warmUp()
  console.error(`${tag}: warm-up ${failed ? describe(failed) : `done in ${((performance.now() - t0) / 1000).toFixed(0)} s`}`)
  for (const [method, options] of BENCH_METHODS as ReadonlyArray<readonly [MethodName, MethodOptions]>) {
    if (group.methods && !group.methods.includes(method))
      continue
    const label = methodLabel(method, options)
    if (failed) {
      rows.push({ model: group.model, backend: group.backend, method: label, outcome: failed, repeats: 0 })
      continue
    }
    const done: Array<Extract<BenchOutcome, { kind: 'done' }>> = []
    let last: BenchOutcome | null = null
    for (let i = 0; i < n; i++) {
      last = await runInPage(page, palmRequest(group.model, method, options))
      console.error(`${tag} ${label} #${i + 1}: ${describe(last)}`)
      if (last.kind !== 'done')
        break
      done.push(last)
    }
    const outcome = last!.kind === 'done' ? done[done.length - 1]! : last!
    rows.push({
      model: group.model,
      backend: outcome.kind === 'done' ? backendLabel(outcome.stats.backend, group.backend, adapter, outcome.fallback) : backendLabel(undefined, group.backend, adapter),
      method: label,
      outcome,
      wallMs: done.length && outcome.kind === 'done' ? median(done.map(d => d.wallMs)) : undefined,
      engineMs: done.length && outcome.kind === 'done' ? median(done.map(d => d.stats.ms)) : undefined,
      repeats: done.length,
    })
    // A terminated worker lost its loaded model: warm the next one up again, untimed.
    if (outcome.kind === 'cancelled' && outcome.terminated)
      await warmUp()
  }
  // The worker after every method ran: one session of the model (issue: one copy of the weights).
  const mem = await page.evaluate(() => (globalThis as unknown as { bench: BenchPageApi }).bench.memory())
  memoryLines.push(mem
    ? `- ${group.model} ${group.backend}: engine worker ${(mem.workerBytes / 2 ** 20).toFixed(0)} MiB, page total ${(mem.totalBytes / 2 ** 20).toFixed(0)} MiB (performance.measureUserAgentSpecificMemory, after all its methods ran)`
    : `- ${group.model} ${group.backend}: performance.measureUserAgentSpecificMemory is not available (needs a cross-origin isolated page)`)
  if (watch.external.length)
    console.error(`${tag}: requests that left localhost (should be none): ${watch.external.slice(0, 5).join(', ')}`)
  if (watch.consoleErrors.length)
    console.error(`${tag}: console errors: ${watch.consoleErrors.slice(0, 5).join(' | ')}`)
  await page.close()
  return rows
}

/** One line per group: the engine worker's memory once its methods ran. */
const memoryLines: string[] = []

function tableRows(rows: Row[]): Array<Record<string, string | number>> {
  return rows.map((r) => {
    const o = r.outcome
    const base = { model: r.model, backend: r.backend, method: r.method }
    if (o.kind !== 'done')
      return { ...base, 'forward calls': '–', 'rows': '–', 'tokens': '–', 'wall ms': describe(o), 'engine ms': '–', 'ms / 1k tokens': '–' }
    const tokens = o.stats.tokens ?? 0
    return {
      ...base,
      'forward calls': o.stats.forwardCalls,
      'rows': o.stats.rows,
      'tokens': tokens || '–',
      'wall ms': r.wallMs!.toFixed(0),
      'engine ms': r.engineMs!.toFixed(0),
      'ms / 1k tokens': tokens ? (1000 * r.wallMs! / tokens).toFixed(1) : '–',
    }
  })
}

function header(version: string, info: PageInfo) {
  const a = info.adapter
  console.log(`# explain-llm-live browser bench — Chromium ${version} (headless, ${chromiumPath}), Node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0]!.toFixed(1)} at start\n`)
  console.log(`- page: navigator.hardwareConcurrency = ${info.hardwareConcurrency}, crossOriginIsolated = ${info.crossOriginIsolated} (scripts/serve.mjs sends COOP/COEP unless COI=0: isolated pages run ONNX Runtime Web on every core; the BoW classifier's tfjs-wasm stays on one thread)`)
  console.log(`- WebGPU adapter: ${a ? `vendor "${a.vendor}", architecture "${a.architecture}", device "${a.device}", description "${a.description}", fallback adapter: ${a.isFallbackAdapter ?? 'not reported'}` : 'none (navigator.gpu.requestAdapter() returned null)'}`)
  console.log(`- user agent: ${info.userAgent}\n`)
}

async function main() {
  if (!existsSync(chromiumPath)) {
    console.log(`bench-browser skipped: no Chromium at ${chromiumPath} (install one, or set CHROMIUM_PATH)`)
    return
  }
  const names = quick ? ['tiny'] : list(flags.models) ?? ['tiny', 'distil']
  const folders: Array<[string, string]> = []
  for (const name of names) {
    const folder = MODELS[name]
    if (!folder)
      throw new Error(`unknown model "${name}" (known: ${Object.keys(MODELS).join(', ')})`)
    if (existsSync(`${folder}/config.json`))
      folders.push([name, folder])
    else if (name === 'distil')
      console.log(`(skipping distil: no ${folder}; make it with \`${DISTIL_HINT}\`)\n`)
    else
      console.log(`(skipping ${name}: no ${folder}; run \`npm run fixtures\` first)\n`)
  }
  if (!folders.length)
    return

  const known = BENCH_METHODS.map(([m]) => m as string)
  for (const m of [...methodsArg ?? [], ...webgpuMethodsArg ?? []]) {
    if (m !== 'all' && !known.includes(m))
      throw new Error(`unknown method "${m}" (known: ${known.join(', ')}, all)`)
  }

  await buildSite(folders.map(([, f]) => f), flags['reuse-build'])
  const port = await freePort()
  const stop = await serve(port)
  const origin = `http://127.0.0.1:${port}`
  // --enable-unsafe-webgpu: without it headless Chromium offers no adapter at all. The
  // WASM rows do not use it (`?webgpu=off`), exactly like the deck's fallback.
  const browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, '--enable-unsafe-webgpu', '--enable-blink-features=ForceEagerMeasureMemory'] })
  const t0 = performance.now()
  try {
    const probe = await browser.newPage()
    await probe.goto(`${origin}/`)
    await probe.waitForSelector('body[data-ready="true"]')
    const info = await probe.evaluate(() => (globalThis as unknown as { bench: BenchPageApi }).bench.info())
    await probe.close()
    header(browser.version(), info)

    const softwareAdapter = Boolean(info.adapter && backendLabel('webgpu', 'webgpu', info.adapter).includes('software'))
    const methods = !methodsArg || methodsArg.includes('all') ? null : methodsArg as MethodName[]
    const webgpuMethods = webgpuMethodsArg?.includes('all')
      ? null
      : (webgpuMethodsArg as MethodName[] | undefined) ?? (softwareAdapter ? SOFTWARE_WEBGPU_METHODS.filter(m => !methods || methods.includes(m)) : methods)
    if (backends.includes('webgpu') && softwareAdapter && !webgpuMethodsArg)
      console.log(`(webgpu on a software adapter: ${SOFTWARE_WEBGPU_METHODS.join(' and ')} only, one per WebGPU code path; \`--webgpu-methods all\` runs every method)\n`)
    const groups: Group[] = []
    for (const backend of backends) {
      if (backend !== 'wasm' && backend !== 'webgpu')
        throw new Error(`unknown backend "${backend}" (known: wasm, webgpu)`)
      if (backend === 'webgpu' && !info.adapter) {
        console.log('(skipping webgpu: navigator.gpu.requestAdapter() returned no adapter)\n')
        continue
      }
      for (const [name, folder] of folders) {
        if (backend === 'webgpu' && !webgpuModels.includes(name)) {
          console.log(`(skipping webgpu on ${name}: WebGPU runs on --webgpu-models ${webgpuModels.join(',')} only; SwiftShader is WebGPU on the CPU and far slower than WASM)\n`)
          continue
        }
        groups.push({ model: folder.split('/').pop()!, folder, backend, methods: backend === 'webgpu' ? webgpuMethods : methods })
      }
    }
    // The big model last: its rows take the longest.
    groups.sort((a, b) => Number(a.model === 'distil-gpt2') - Number(b.model === 'distil-gpt2'))
    const rows: Row[] = []
    for (const group of groups)
      rows.push(...await runGroup(browser, origin, group, info.adapter))

    console.log(`## LLMAttribution in Chromium, Palm Coast prompt (16 tokens) → 8 target tokens, through the deck's engine worker (median of ${repeats}; distil: of ${Math.max(1, Math.min(repeats, 2))}; limit ${limitS} s a run)\n`)
    console.log('forward calls = model invocations (ONNX Runtime runs of the attribution graph); rows = sequences scored; tokens = tokens pushed through the model (engine counters, response `stats`). wall ms = performance.now() in the page around the worker round trip; engine ms = the engine\'s own timer (`stats.ms`). Every model was warmed up first (untimed).\n')
    console.log(markdownTable(tableRows(rows)))
    console.log(`Memory:\n${memoryLines.join('\n')}\n`)
    if (rows.some(r => r.backend.includes('software')))
      console.log('The webgpu rows ran on a software adapter (WebGPU implemented on the CPU): they time the WebGPU code path, not a GPU.\n')
    console.log(`(browser bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${loadavg()[0]!.toFixed(1)} at the end)`)
  }
  finally {
    await browser.close()
    stop()
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`bench-browser failed: ${(e as Error).stack}`)
  process.exit(1)
})
