import type { ChildProcess } from 'node:child_process'
import type { AttributionRequest, AttributionResponse, BowResponse, LlmResponse } from '../../engine/api'
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { allDefaultRequests, DEMOS } from '../../components/demo/catalog'
import { chooseDecimals, formatFixed, formatValue } from '../../components/lib/format'
import { maxAbs } from '../../components/lib/palette'
import { demoSlides, llmTolerance } from './helpers'

/**
 * `npm run export` end to end: the PDF of the whole deck, exported with the tiny GPT-2
 * fixture as the LLM, has one page per slide, and each demo's page prints the numbers
 * the CLI computes for that demo's default request (formatted as the components print
 * them), and the notes PDF beside it holds every slide's presenter note. A second,
 * one-slide export without the LLM shows how to get it.
 *
 * The full export takes minutes on 2 cores: it runs once, in beforeAll.
 */

const repo = fileURLToPath(new URL('../..', import.meta.url))
const LLM = 'tiny-gpt2'
const fixture = join(repo, 'fixtures', LLM)
const served = join(repo, 'public', 'models', LLM)
const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => p && existsSync(p))
const hasPoppler = spawnSync('pdftotext', ['-v']).status === 0 && spawnSync('pdfinfo', ['-v']).status === 0

/** Children still running (killed in afterAll when a hook times out). */
const children = new Set<ChildProcess>()

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number, out: string, stdout: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: repo, env: { ...process.env, ...env } })
    children.add(child)
    child.on('close', () => children.delete(child))
    let out = ''
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => (out += d))
    child.on('close', code => done({ code: code ?? 1, out, stdout }))
  })
}

/** The PDF's pages as text (`pdftotext -layout`, pages split at form feeds). */
function pdfPages(pdf: string): { count: number, pages: string[] } {
  const info = spawnSync('pdfinfo', [pdf], { encoding: 'utf8' }).stdout
  const count = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1])
  const text = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout
  return { count, pages: text.split('\f').slice(0, count) }
}

/** Every number printed on a page, as printed. */
const numbersOf = (page: string) => new Set(page.match(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g) ?? [])

/**
 * `formatFixed(v, d)` when a difference of `tol` (browser vs Node float rounding) cannot
 * change it (v is not that close to a rounding boundary) and it is not zero; else null.
 * BoW numbers come from the bake (the CLI's own), or from tfjs WASM (~1e-7 off); LLM
 * numbers from ORT WASM and tfjs WASM in the browser vs Node (log-prob differences ~1e-6).
 */
let tol = (_v: number) => 0
function stable(v: number, d: number): string | null {
  const t = tol(v)
  const s = formatFixed(v, d)
  return s === formatFixed(v - t, d) && s === formatFixed(v + t, d) && Number(s) !== 0 ? s : null
}
function stableValue(v: number | null | undefined, significant = 3) {
  if (v == null || !Number.isFinite(v) || v === 0)
    return null
  const d = chooseDecimals(Math.abs(v), significant, 0, 6)
  return stable(v, d) === formatValue(v, significant) ? stable(v, d) : null
}
const present = (xs: Array<string | null>) => xs.filter((x): x is string => x !== null)

/** The strings a demo's page must show, as its component formats them. */
function expectedStrings(demo: string, responses: AttributionResponse[], barsOnly: Set<string>): string[] {
  const llm = demo === 'faithfulness' || demo === 'compare-llm' || DEMOS[demo]?.kind === 'llm'
  // A printed number counts only if the browser/CLI difference cannot change its last digit.
  const abs = llm && DEMOS[demo] ? Math.min(1e-5, llmTolerance(DEMOS[demo].method)) : llm ? 1e-5 : 1e-7
  tol = llm ? v => abs + 1e-5 * Math.abs(v) : v => 1e-7 + 1e-6 * Math.abs(v)
  if (demo === 'compare-bow') {
    // MethodComparison: features = the first method's words; each row on its own decimals.
    const list = responses as BowResponse[]
    const features = list[0]!.words
    return list.flatMap((r) => {
      const values = features.map(w => r.scores[r.words.indexOf(w)] ?? 0)
      const d = chooseDecimals(maxAbs(values))
      return present(values.map(v => stable(v, d)))
    })
  }
  if (demo === 'compare-llm') {
    // MethodComparison on the LLM: features = the prompt's tokens, rows = each method's seqAttr.
    return (responses as LlmResponse[]).flatMap((r) => {
      const d = chooseDecimals(maxAbs(r.seqAttr))
      return present(r.seqAttr.map(v => stable(v, d)))
    })
  }
  if (demo === 'faithfulness') {
    return (responses as LlmResponse[]).flatMap((r) => {
      const m = r.metrics as { deletion?: { aopc: number }, insertion?: { aopc: number }, infidelity?: number, sensitivityMax?: number } | undefined
      return present([stableValue(m?.deletion?.aopc), stableValue(m?.insertion?.aopc), stableValue(m?.sensitivityMax)])
    })
  }
  const spec = DEMOS[demo]!
  const r = responses[0]!
  if (spec.kind === 'bow') {
    // BowDemo: P(positive) with 4 decimals; WordAttribution's legend ±max|score|.
    const b = r as BowResponse
    const scale = maxAbs(b.scores)
    const d = chooseDecimals(scale)
    return present([stable(b.probabilities[1]!, 4), stable(scale, d), stable(-scale, d), b.sensitivityMax != null ? stable(b.sensitivityMax, 4) : null])
  }
  // LlmDemo: the heatmap's legend ±max|tokenAttr| (its cells may be clipped on the page),
  // and SeqAttrBars' label of every bar.
  const l = r as LlmResponse
  const out: Array<string | null> = []
  const heatmap = !barsOnly.has(demo)
  if (heatmap && l.tokenAttr) {
    const scale = maxAbs(l.tokenAttr)
    out.push(stable(scale, chooseDecimals(scale)), stable(-scale, chooseDecimals(scale)))
  }
  const d = chooseDecimals(maxAbs(l.seqAttr))
  out.push(...l.seqAttr.map(v => stable(v, d)))
  return present(out)
}

test.describe('npm run export: the whole deck', () => {
  test.skip(!chromium, 'no Chromium installed (/usr/bin/chromium or CHROMIUM_PATH): the export needs one')
  test.skip(!hasPoppler, 'pdftotext/pdfinfo (poppler-utils) not installed: cannot read the PDF')
  test.skip(!existsSync(join(fixture, 'manifest.json')), 'fixtures/tiny-gpt2 missing: run `npm run fixtures` (npm run test:e2e does)')

  let dir = ''
  let copied = false
  test.beforeAll(() => {
    dir = process.env.EXPORT_SPEC_REUSE ?? mkdtempSync(join(tmpdir(), 'export-'))
    if (!existsSync(join(served, 'manifest.json'))) {
      cpSync(fixture, served, { recursive: true })
      copied = true
    }
  })
  test.afterAll(() => {
    for (const child of children)
      child.kill()
    if (copied)
      rmSync(served, { recursive: true, force: true })
    // EXPORT_SPEC_KEEP=1 keeps the PDF, the requests and the log for a look.
    if (process.env.EXPORT_SPEC_KEEP || process.env.EXPORT_SPEC_REUSE)
      console.log(`[export.spec] kept ${dir}`)
    else
      rmSync(dir, { recursive: true, force: true })
  })

  // One test (soft checks): the export takes minutes and must run once.
  test('one page per slide; every demo page prints the CLI\'s numbers; no spinner', async () => {
    test.setTimeout(25 * 60_000)
    const { slideOf, total, barsOnly } = await demoSlides()
    // The CLI's numbers for every default request shown in the deck (one process),
    // computed while the export runs.
    const wanted = allDefaultRequests({ bow: 'bow', llm: LLM }).filter(({ id }) => slideOf.has(id.split('#')[0]!))
    const requests: AttributionRequest[] = wanted.map(({ request }) => ({ ...request, model: join('public/models', request.model) }))
    writeFileSync(join(dir, 'requests.json'), JSON.stringify(requests))
    // EXPORT_SPEC_REUSE=<a kept dir> checks a previous run's PDF and CLI output again.
    const reuse = process.env.EXPORT_SPEC_REUSE
    let cli: { code: number, out: string, stdout: string }
    let exported: { code: number, out: string }
    if (reuse) {
      cli = { code: 0, out: '', stdout: readFileSync(join(dir, 'responses.json'), 'utf8') }
      exported = { code: 0, out: readFileSync(join(dir, 'export.log'), 'utf8') }
    }
    else {
      const t0 = Date.now()
      const exporting = run(process.execPath, ['scripts/export.mjs', '--output', join(dir, 'deck.pdf'), '--llm', LLM]).then((r) => {
        const seconds = Math.round((Date.now() - t0) / 1000)
        console.log(`[export.spec] full export took ${seconds} s`)
        test.info().annotations.push({ type: 'export duration', description: `${seconds} s (while the CLI computed the same requests)` })
        return r
      })
      ;[cli, exported] = await Promise.all([
        run(process.execPath, ['--import', 'tsx', 'engine/cli.ts', '--request', join(dir, 'requests.json')]),
        exporting,
      ])
      writeFileSync(join(dir, 'responses.json'), cli.stdout)
      writeFileSync(join(dir, 'export.log'), exported.out)
    }
    expect(cli.code, cli.out.slice(-2000)).toBe(0)
    expect(exported.code, exported.out.slice(-3000)).toBe(0)
    expect(exported.out).toMatch(/\[export\] \d+ demos: \d+ recorded, \d+ computed live, 0 missing a model, 0 failed/)
    const responses = JSON.parse(cli.stdout) as AttributionResponse[]
    const responsesOf = new Map<string, AttributionResponse[]>()
    wanted.forEach(({ id }, i) => {
      const demo = id.split('#')[0]!
      responsesOf.set(demo, [...(responsesOf.get(demo) ?? []), responses[i]!])
    })

    const { count, pages } = pdfPages(join(dir, 'deck.pdf'))
    expect(count).toBe(total)
    pages.forEach((page, i) => {
      expect.soft(page, `page ${i + 1}`).not.toMatch(/Computing…|loading/i)
      expect.soft(page, `page ${i + 1}`).not.toMatch(/not on this machine|Cannot draw|cancelled/i)
    })
    const missing: string[] = []
    for (const [demo, slide] of slideOf) {
      const want = expectedStrings(demo, responsesOf.get(demo) ?? [], barsOnly)
      // Not vacuous: every demo has numbers to find.
      expect.soft(want.length, `${demo}: nothing to check`).toBeGreaterThan(0)
      const have = numbersOf(pages[slide - 1]!)
      missing.push(...want.filter(s => !have.has(s)).map(s => `${demo} (page ${slide}): ${s}`))
      // Where the numbers came from: BoW from the committed bake, the LLM live (WASM).
      expect.soft(pages[slide - 1], demo).toMatch(DEMOS[demo]?.kind === 'bow' || demo === 'compare-bow' ? /recorded · bow/ : /live · tiny-gpt2/)
    }
    expect(missing).toEqual([])

    // Beside the deck: the presenter notes of every slide (Slidev's export-notes), each
    // under its number, so a student reading the PDF has what the lecturer says.
    const notesPdf = join(dir, 'deck-notes.pdf')
    expect(existsSync(notesPdf), `${notesPdf} beside the deck`).toBe(true)
    const notesText = spawnSync('pdftotext', [notesPdf, '-'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.replace(/\s+/g, ' ')
    const { parse } = await import('@slidev/parser')
    const deck = await parse(readFileSync(join(repo, 'slides.md'), 'utf8'), 'slides.md')
    expect(deck.slides).toHaveLength(total)
    const notesMissing = deck.slides.flatMap((slide, i) => {
      const opening = (slide.note ?? '').replace(/[`*_]/g, '').trim().split(/\s+/).slice(0, 6).join(' ')
      return opening.length > 10 && notesText.includes(`${i + 1}/${total} `) && notesText.includes(opening) ? [] : [`slide ${i + 1}: ${opening}`]
    })
    expect(notesMissing).toEqual([])
  })
})

test.describe('npm run export: without the LLM', () => {
  test.skip(!chromium, 'no Chromium installed (/usr/bin/chromium or CHROMIUM_PATH): the export needs one')
  test.skip(!hasPoppler, 'pdftotext/pdfinfo (poppler-utils) not installed: cannot read the PDF')

  let dir = ''
  test.afterAll(() => {
    for (const child of children)
      child.kill()
    if (dir)
      rmSync(dir, { recursive: true, force: true })
  })

  test('a missing LLM: its demo page says how to get it (`npm run models`)', async () => {
    test.setTimeout(10 * 60_000)
    dir = mkdtempSync(join(tmpdir(), 'export-missing-'))
    const slide = (await demoSlides()).slideOf.get('llm-feature-ablation')!
    const pdf = join(dir, 'missing.pdf')
    const res = await run(process.execPath, ['scripts/export.mjs', '--output', pdf, '--llm', 'no-such-model', '--per-slide', '--range', String(slide), '--no-notes'])
    expect(res.code, res.out.slice(-3000)).toBe(0)
    expect(existsSync(join(dir, 'missing-notes.pdf')), '--no-notes writes no notes').toBe(false)
    expect(res.out).toContain('public/models/no-such-model/ is missing')
    const { count, pages: [page] } = pdfPages(pdf)
    expect(count).toBe(1)
    expect(page).toContain('Feature Ablation')
    expect(page).toContain('not on this machine')
    expect(page).toContain('npm run models')
    expect(page).not.toMatch(/Computing…|loading/i)
  })
})
