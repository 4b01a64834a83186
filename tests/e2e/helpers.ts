import type { Page } from '@playwright/test'
import type { AttributionRequest, AttributionResponse, MethodName } from '../../engine/api'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from '@playwright/test'
import { LLM_GRADIENT_METHODS } from '../../engine/api'

export interface PageWatch {
  consoleErrors: string[]
  external: string[]
}

/** Records console errors and every request that leaves localhost. */
export function watchPage(page: Page): PageWatch {
  const watch: PageWatch = { consoleErrors: [], external: [] }
  page.on('console', (msg) => {
    if (msg.type() === 'error')
      watch.consoleErrors.push(msg.text())
  })
  page.on('pageerror', err => watch.consoleErrors.push(String(err)))
  page.on('request', (req) => {
    const url = new URL(req.url())
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol))
      return
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
      watch.external.push(req.url())
  })
  return watch
}

/** The slide number (1-based) whose content holds a demo with this id. */
export async function slideOfDemo(page: Page, demo: string): Promise<number> {
  const no = await page.evaluate((id) => {
    const el = document.querySelector(`[data-demo="${id}"]`)
    return el?.closest('[data-slidev-no]')?.getAttribute('data-slidev-no') ?? null
  }, demo)
  if (!no)
    throw new Error(`demo ${demo} not found on the current page`)
  return Number(no)
}

/** Waits until a demo settles and returns its final state. */
export async function settle(page: Page, demo: string, timeout = 180_000): Promise<string> {
  const loc = page.locator(`[data-demo="${demo}"]`)
  await loc.waitFor({ state: 'attached', timeout })
  await page.waitForFunction((id) => {
    const s = document.querySelector(`[data-demo="${id}"]`)?.getAttribute('data-state')
    return s === 'done' || s === 'error' || s === 'missing-model'
  }, demo, { timeout })
  return (await loc.getAttribute('data-state')) ?? ''
}

/** Demo ids by slide number, read from slides.md with Slidev's own parser. */
export async function demoSlides(): Promise<{ total: number, slideOf: Map<string, number>, barsOnly: Set<string> }> {
  const { parse } = await import('@slidev/parser')
  const { readFileSync } = await import('node:fs')
  const deck = await parse(readFileSync('slides.md', 'utf8'), 'slides.md')
  const slideOf = new Map<string, number>()
  // LLM demos placed with :heatmap="false" draw only the sequence bars.
  const barsOnly = new Set<string>()
  deck.slides.forEach((slide, i) => {
    for (const m of slide.content.matchAll(/<(\w+)\s[^>]*?demo="([^"]+)"[^>]*>/g)) {
      slideOf.set(m[2]!, i + 1)
      if (/:heatmap="false"/.test(m[0]))
        barsOnly.add(m[2]!)
    }
    // Components that hold their own demo ids.
    if (slide.content.includes('<BiasTemplates'))
      slideOf.set('bias-t1', i + 1)
    if (slide.content.includes('<FaithfulnessDemo'))
      slideOf.set('faithfulness', i + 1)
    for (const m of slide.content.matchAll(/<CompareDemo(?:\s+model="(\w+)")?\s*\/>/g))
      slideOf.set(`compare-${m[1] ?? 'bow'}`, i + 1)
  })
  return { total: deck.slides.length, slideOf, barsOnly }
}

export const MODELS = { bow: 'bow', llm: 'tiny-gpt2' }
const FOLDERS: Record<string, string> = { 'bow': 'public/models/bow', 'tiny-gpt2': 'fixtures/tiny-gpt2' }

/** Runs requests through the CLI (one process, an array in, an array out). */
export function cli(requests: AttributionRequest[]): AttributionResponse[] {
  const dir = mkdtempSync(join(tmpdir(), 'e2e-cli-'))
  const file = join(dir, 'requests.json')
  writeFileSync(file, JSON.stringify(requests.map(r => ({ ...r, model: FOLDERS[r.model] ?? r.model }))))
  const out = execFileSync('npx', ['tsx', 'engine/cli.ts', '--request', file], { encoding: 'utf8', maxBuffer: 64 << 20 })
  return JSON.parse(out) as AttributionResponse[]
}

export async function readValues(page: Page, demo: string, selector: string): Promise<number[]> {
  return page.locator(`[data-demo="${demo}"] ${selector} [data-value]`).evaluateAll(els => els.map(e => Number(e.getAttribute('data-value'))))
}

/** Runs the demo live (not from a recorded result) and waits for it. */
export async function runLive(page: Page, demo: string) {
  const frame = page.locator(`[data-demo="${demo}"]`)
  await frame.getByTestId('run-button').click()
  await expect(frame).toHaveAttribute('data-recorded', 'false')
  expect(await settle(page, demo)).toBe('done')
}

/**
 * How far an LLM demo's browser numbers (ORT WASM) may be from the CLI's (ORT Node), in
 * absolute terms; `expectClose` adds 1e-4 relative. Perturbation methods take differences
 * of sums of ~8 float32 log-probs: up to 2.3e-5 apart, measured on tiny-gpt2 (Captum's
 * reference tolerance is 5e-5). The layer gradient methods have no such cancellation: at
 * most 1.5e-8 apart (values ~1e-3), so a tolerance of 5e-5 would not test them at all.
 */
export function llmTolerance(method: MethodName): number {
  return (LLM_GRADIENT_METHODS as readonly string[]).includes(method) ? 1e-7 : 5e-5
}

export function expectClose(actual: number[], expected: number[], abs: number, what: string) {
  expect(actual.length, `${what}: count`).toBe(expected.length)
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i]!), `${what}[${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(abs + 1e-4 * Math.abs(expected[i]!))
  })
}
