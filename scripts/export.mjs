#!/usr/bin/env node
/**
 * `npm run export [-- --output file.pdf] [--llm tiny-gpt2] [--timeout ms] [--no-notes] [<more slidev export flags>]`
 *
 * Writes the deck as a PDF in which every demo shows its default run's real numbers,
 * and beside it the presenter notes of every slide (`<name>-notes.pdf`, Slidev's
 * `export-notes`: each slide's number, title and note), unless `--no-notes`. The numbers
 * are recorded by `npm run bake` (public/baked/) when the model's hash matches, else
 * computed in the exporting Chromium (WASM). No fixed sleep: DemoFrame carries
 * `data-waitfor=".demo-settled"` in print mode and the exporter waits for it.
 *
 * - The LLM is `--llm <name>` or `VITE_LLM_MODEL` (a folder under public/models/,
 *   default distilgpt2). When it is absent the LLM demos print how to get it
 *   (`npm run models`) instead of numbers: the export says so up front.
 * - We never download a browser: the system Chromium (/usr/bin/chromium), else
 *   Playwright's own if someone installed it, else we say what to install.
 * - Slidev's exporter waits for each `data-waitfor` with Playwright's *default*
 *   timeout (30 s), not `--timeout`, logs a miss and still exits 0. We run it in this
 *   process with Playwright patched so that every wait honours `--timeout`, and check
 *   before the PDF is printed that no demo is still running: a PDF with a spinner
 *   fails the export (exit code 1) instead of passing silently.
 *
 * @example
 * // node scripts/export.mjs --output /tmp/deck.pdf --llm tiny-gpt2
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
process.chdir(root)

/** Our own flags are taken out; everything else goes to `slidev export`. */
function takeFlag(args, name) {
  const i = args.findIndex(a => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0)
    return undefined
  const [flag] = args.splice(i, 1)
  if (flag.includes('='))
    return flag.slice(flag.indexOf('=') + 1)
  const [value] = args.splice(i, 1)
  return value
}

const args = process.argv.slice(2)
// Internal: `--notes-for <deck.pdf>` is the child that exports the notes beside it.
const notesFor = takeFlag(args, 'notes-for')
const noNotes = args.includes('--no-notes')
if (noNotes)
  args.splice(args.indexOf('--no-notes'), 1)
const llm = takeFlag(args, 'llm') ?? process.env.VITE_LLM_MODEL ?? 'distilgpt2'
const timeoutArg = takeFlag(args, 'timeout')
const timeout = Number(timeoutArg ?? 600_000)
if (!Number.isFinite(timeout) || timeout <= 0) {
  console.error(`--timeout must be a positive number of milliseconds, got ${timeoutArg}`)
  process.exit(2)
}

const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
let executable = candidates.find(p => p && existsSync(p))
const require = createRequire(import.meta.url)
if (!executable) {
  try {
    const path = require('playwright-chromium').chromium.executablePath()
    if (existsSync(path))
      executable = path
  }
  catch {}
}
if (!executable) {
  console.error('No Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROMIUM_PATH.')
  process.exit(1)
}

// The deck fetches baked/index.json on every demo: it must exist (an empty index is fine).
mkdirSync('public/baked', { recursive: true })
if (!existsSync('public/baked/index.json'))
  writeFileSync('public/baked/index.json', '{"entries":{}}\n')

if (!existsSync(join('public/models', llm, 'manifest.json')))
  console.warn(`[export] public/models/${llm}/ is missing: the LLM demos will say how to get it (\`npm run models\`) instead of showing numbers.`)

// Vite reads VITE_* from the environment: the exported deck never goes to the hub.
process.env.VITE_OFFLINE ??= '1'
process.env.VITE_LLM_MODEL = llm

const hasOutput = args.some(a => a === '--output' || a.startsWith('--output='))
const deckPdf = resolve(takeFlag([...args], 'output') ?? 'slides-export.pdf')
/** The notes PDF beside the deck's: deck.pdf → deck-notes.pdf. */
const notesPdfOf = pdf => pdf.replace(/(?:\.pdf)?$/i, '-notes.pdf')
const slidevArgs = notesFor
  ? ['export-notes', '--output', notesPdfOf(notesFor), '--timeout', String(timeout)]
  : [
      'export',
      '--executable-path',
      executable,
      ...(hasOutput ? [] : ['--output', 'slides-export.pdf']),
      '--timeout',
      String(timeout),
      ...args,
    ]
console.log(`[export] VITE_LLM_MODEL=${llm} VITE_OFFLINE=${process.env.VITE_OFFLINE} slidev ${slidevArgs.join(' ')}`)

let failure = null
const states = ['done', 'error', 'missing-model']

/** Before printing: every demo settled? Logs one line per demo kind of outcome. */
async function checkDemos(page) {
  const demos = await page.evaluate(() => [...document.querySelectorAll('[data-demo]')].map(el => ({
    demo: el.getAttribute('data-demo'),
    state: el.getAttribute('data-state'),
    recorded: el.getAttribute('data-recorded') === 'true',
    message: el.querySelector('[role=alert]')?.textContent?.trim() ?? '',
  })))
  const count = s => demos.filter(d => d.state === s).length
  console.log(`[export] ${demos.length} demos: ${demos.filter(d => d.state === 'done' && d.recorded).length} recorded, ${demos.filter(d => d.state === 'done' && !d.recorded).length} computed live, ${count('missing-model')} missing a model, ${count('error')} failed`)
  for (const d of demos.filter(d => d.state === 'error'))
    console.error(`[export] demo ${d.demo} failed: ${d.message}`)
  const unsettled = demos.filter(d => !states.includes(d.state))
  if (unsettled.length)
    failure = `demos not finished within --timeout ${timeout} ms: ${unsettled.map(d => `${d.demo} (${d.state})`).join(', ')}`
  else if (count('error'))
    failure = `${count('error')} demo(s) failed (see above)`
}

// Patch the Playwright instance Slidev's exporter imports (the same module: we resolve it
// from the same root) so every wait honours --timeout and the demos are checked.
const { chromium } = require('playwright-chromium')

const launch = chromium.launch.bind(chromium)
chromium.launch = async (options) => {
  // Slidev's export-notes launches without an executable: ours, as for the slides.
  const browser = await launch({ ...options, executablePath: options?.executablePath ?? executable })
  const newContext = browser.newContext.bind(browser)
  browser.newContext = async (contextOptions) => {
    const context = await newContext(contextOptions)
    context.setDefaultTimeout(timeout)
    const newPage = context.newPage.bind(context)
    context.newPage = async () => {
      const page = await newPage()
      page.on('pageerror', e => console.error(`[export] page error: ${e.message}`))
      const pdf = page.pdf.bind(page)
      page.pdf = async (pdfOptions) => {
        if (!notesFor)
          await checkDemos(page)
        return pdf(pdfOptions)
      }
      return page
    }
    return context
  }
  return browser
}

// Slidev ends with process.exit(0) even when a wait failed (it only sets exitCode).
const exit = process.exit.bind(process)
process.exit = (code) => {
  if (failure)
    console.error(`[export] FAILED: ${failure}`)
  let status = failure ? 1 : (code || process.exitCode || 0)
  // Slidev exits after one export: the notes get a process of their own.
  if (status === 0 && !notesFor && !noNotes) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--notes-for', deckPdf, '--llm', llm, '--timeout', String(timeout)], { stdio: 'inherit' })
    status = child.status ?? 1
    if (status !== 0)
      console.error('[export] FAILED: the notes export failed (see above)')
  }
  exit(status)
}

const started = performance.now()
process.on('exit', () => console.log(`[export] took ${Math.round((performance.now() - started) / 1000)} s`))
process.argv = [process.argv[0], 'slidev', ...slidevArgs]
const cliEntry = join(dirname(require.resolve('@slidev/cli/package.json')), 'bin', 'slidev.mjs')
await import(pathToFileURL(cliEntry).href)
