#!/usr/bin/env node
// `npm run export [-- --output file.pdf] [-- <more slidev export flags>]`
// Writes the deck as a PDF. Slidev's exporter drives Playwright; we never download a
// browser, so we pass a Chromium: the system's /usr/bin/chromium when present, else
// Playwright's own (if someone installed it), else we say what to install.
// Demos render their finished results: DemoFrame sets `data-waitfor` in print mode and
// the exporter waits for it (up to --timeout), so no fixed sleep is needed.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const args = process.argv.slice(2)
const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
let executable = candidates.find(p => p && existsSync(p))
if (!executable) {
  try {
    const { chromium } = createRequire(import.meta.url)('playwright-chromium')
    const path = chromium.executablePath()
    if (existsSync(path))
      executable = path
  }
  catch {}
}
if (!executable) {
  console.error('No Chromium found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROMIUM_PATH.')
  process.exit(1)
}

const hasOutput = args.some(a => a === '--output' || a.startsWith('--output='))
const hasTimeout = args.some(a => a === '--timeout' || a.startsWith('--timeout='))
const slidevArgs = [
  'export',
  '--executable-path', executable,
  ...(hasOutput ? [] : ['--output', 'slides-export.pdf']),
  // Per demo: the exporter waits until its result is rendered, at most this long (ms).
  ...(hasTimeout ? [] : ['--timeout', '600000']),
  ...args,
]
console.log(`[export] slidev ${slidevArgs.join(' ')}`)
// The exported PDF never loads a model from the hub: remote loading is forbidden.
const env = { ...process.env, VITE_OFFLINE: process.env.VITE_OFFLINE ?? '1' }
const res = spawnSync('npx', ['slidev', ...slidevArgs], { stdio: 'inherit', env })
process.exit(res.status ?? 1)
