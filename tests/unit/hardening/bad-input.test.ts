/**
 * Bad inputs through the engine's one entry point (`runRequest`) and the CLI: each ends
 * in an `AttributionError` with the right code and a one-line message, never NaN, and
 * nothing is left stuck (a clean run afterwards gives the clean numbers).
 */
import type { AttributionRequest, LlmResponse } from '../../../engine/api'
import { execFile } from 'node:child_process'
import { rmSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { getCausalLm } from '../../../engine/llm/run-llm'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { allFinite, BOW_DIR, copyModel, errorCode, HAS_BOW, llmRequest, makeTinyFixture, REPO_ROOT, SKIP_BOW_MSG } from './helpers'

// scoreMemo 0: every run does its work (a remembered result could not be cancelled mid-run).
const env = nodeEnv({ scoreMemo: 0 })
const WEIRD = 'Ünïcödé 🍕🤖 and 日本語のテキスト <script>alert("x")</script> & "quotes"'

let fx: Awaited<ReturnType<typeof makeTinyFixture>>
let clean: LlmResponse

beforeAll(async () => {
  fx = await makeTinyFixture()
  clean = await runRequest(llmRequest(fx.dir, { method: 'KernelShap', options: { nSamples: 30, seed: 3, perturbationsPerEval: 4 } }), env) as LlmResponse
}, 60_000)
afterAll(() => fx?.cleanup())

describe('bad LLM requests through runRequest', () => {
  // [case, expected code, request builder]
  const cases: Array<[string, string, (dir: string) => AttributionRequest]> = [
    ['empty prompt', 'empty-input', d => llmRequest(d, { input: { type: 'text', text: '' } })],
    ['empty prompt (gradient path)', 'empty-input', d => llmRequest(d, { method: 'LayerIntegratedGradients', input: { type: 'text', text: '' } })],
    ['5000-token prompt', 'too-long', d => llmRequest(d, { input: { type: 'text', text: ' word'.repeat(5000) } })],
    ['5000-token prompt (gradient path)', 'too-long', d => llmRequest(d, { method: 'LayerIntegratedGradients', input: { type: 'text', text: ' word'.repeat(5000) } })],
    ['empty target', 'empty-input', d => llmRequest(d, { target: '' })],
    ['empty target (gradient path)', 'empty-input', d => llmRequest(d, { method: 'LayerIntegratedGradients', target: '' })],
    ['template with a missing value', 'template', d => llmRequest(d, { input: { type: 'template', template: '{} lives in {}', values: ['Dave'] } })],
    ['template with an extra value', 'template', d => llmRequest(d, { input: { type: 'template', template: '{} lives in Palm Coast', values: ['Dave', 'Paris'] } })],
    ['template with a missing named value', 'template', d => llmRequest(d, { input: { type: 'template', template: '{name} lives in {city}', values: { name: 'Dave' } } })],
    ['KernelShap with one feature', 'unsupported', d => llmRequest(d, { method: 'KernelShap', input: { type: 'text', text: 'Hello' }, options: { nSamples: 10, seed: 0 } })],
    ['unknown method', 'bad-request', d => llmRequest(d, { method: 'Occlusion' as never })],
    ['non-positive perturbationsPerEval', 'bad-request', d => llmRequest(d, { options: { perturbationsPerEval: 0 } })],
    ['no such model folder', 'missing-model', d => llmRequest(join(d, '..', 'nowhere'))],
  ]
  it.each(cases)('%s → %s', async (_name, code, build) => {
    expect(await errorCode(runRequest(build(fx.dir), env))).toBe(code)
  }, 30_000)

  it('a missing model file → missing-model; truncated ONNX / safetensors → corrupt-model', async () => {
    const noWeights = copyModel(fx.dir, fx.root, 'no-weights')
    rmSync(join(noWeights, 'onnx'), { recursive: true })
    rmSync(join(noWeights, 'model.safetensors'))
    expect(await errorCode(runRequest(llmRequest(noWeights), env))).toBe('missing-model')

    const noTokenizer = copyModel(fx.dir, fx.root, 'no-tokenizer')
    rmSync(join(noTokenizer, 'tokenizer.json'))
    expect(await errorCode(runRequest(llmRequest(noTokenizer), env))).toBe('missing-model')

    const cutOnnx = copyModel(fx.dir, fx.root, 'cut-onnx')
    truncateSync(join(cutOnnx, 'onnx', 'model.onnx'), 100_000)
    rmSync(join(cutOnnx, 'model.safetensors')) // so that the ONNX export is what loads
    expect(await errorCode(runRequest(llmRequest(cutOnnx), env))).toBe('corrupt-model')

    const cutWeights = copyModel(fx.dir, fx.root, 'cut-safetensors')
    truncateSync(join(cutWeights, 'model.safetensors'), 100_000)
    expect(await errorCode(runRequest(llmRequest(cutWeights, { method: 'LayerIntegratedGradients', options: { nSteps: 2 } }), env))).toBe('corrupt-model')

    // The broken copies leave the good model working.
    const again = await runRequest(llmRequest(fx.dir, { method: 'KernelShap', options: { nSamples: 30, seed: 3, perturbationsPerEval: 4 } }), env) as LlmResponse
    expect(again.seqAttr).toEqual(clean.seqAttr)
  }, 60_000)
})

describe('unusual text is data, not markup', () => {
  it('emoji, CJK and <script> prompts run, and the tokens come back verbatim', async () => {
    const res = await runRequest(llmRequest(fx.dir, { input: { type: 'text', text: WEIRD }, target: ' 🍕 <b>' }), env) as LlmResponse
    const lm = await getCausalLm(fx.dir)
    // Byte-level BPE strings: re-encoding them gives back exactly the prompt and target.
    expect(lm.decode(lm.convertTokensToIds(res.inputTokens))).toBe(WEIRD)
    expect(res.targetIds).toEqual(lm.encode(' 🍕 <b>'))
    expect(res.inputTokens.join('')).toContain('<script')
    expect(res.seqAttr).toHaveLength(res.inputTokens.length)
    expect(allFinite(res.seqAttr)).toBe(true)
    expect(allFinite(res.tokenAttr)).toBe(true)
    // FeatureAblation's seqAttr is exactly the drop of Σ log p when one token is ablated: not all zero.
    expect(res.seqAttr.some(v => v !== 0)).toBe(true)
  }, 30_000)

  it('the same prompt in a template slot', async () => {
    const res = await runRequest(llmRequest(fx.dir, { input: { type: 'template', template: '{} says {}', values: ['日本語', '<script>🍕</script>'] } }), env) as LlmResponse
    expect(res.inputTokens).toEqual(['日本語', '<script>🍕</script>'])
    expect(allFinite(res.seqAttr)).toBe(true)
  }, 30_000)
})

describe('cancellation', () => {
  const ks = (dir: string) => llmRequest(dir, { method: 'KernelShap', options: { nSamples: 30, seed: 3, perturbationsPerEval: 4 } })

  it('aborting mid-run rejects with cancelled; the next run gives the clean numbers', async () => {
    const ac = new AbortController()
    let seen = 0
    const code = await errorCode(runRequest(ks(fx.dir), env, {
      signal: ac.signal,
      onProgress: (p) => {
        seen = p.done
        if (p.done >= 4)
          ac.abort()
      },
    }))
    expect(code).toBe('cancelled')
    expect(seen).toBeGreaterThanOrEqual(4) // it really was mid-run
    expect(seen).toBeLessThan(30)
    const after = await runRequest(ks(fx.dir), env) as LlmResponse
    expect(after.seqAttr).toEqual(clean.seqAttr)
  }, 30_000)

  it('20 rapid re-runs, 19 aborted: the engine still works and the survivor equals a clean run', async () => {
    const controllers = Array.from({ length: 20 }, () => new AbortController())
    const runs = controllers.map(ac => runRequest(ks(fx.dir), env, { signal: ac.signal }))
    controllers.slice(0, 19).forEach(ac => ac.abort())
    const codes = await Promise.all(runs.slice(0, 19).map(errorCode))
    expect(codes).toEqual(Array.from({ length: 19 }, () => 'cancelled'))
    const survivor = await runs[19] as LlmResponse
    expect(survivor.seqAttr).toEqual(clean.seqAttr)
    const next = await runRequest(ks(fx.dir), env) as LlmResponse
    expect(next.seqAttr).toEqual(clean.seqAttr)
  }, 60_000)
})

describe.skipIf(!HAS_BOW)(`BoW bad inputs ${HAS_BOW ? '' : SKIP_BOW_MSG}`, () => {
  const bow = (text: string, method: AttributionRequest['method'] = 'FeatureAblation'): AttributionRequest =>
    ({ model: BOW_DIR, method, input: { type: 'text', text } })

  it('empty text is handled like all-stopword text: no words, the bias-only prediction', async () => {
    const empty = await runRequest(bow(''), env)
    const stop = await runRequest(bow('the and of'), env)
    if (empty.kind !== 'bow' || stop.kind !== 'bow')
      throw new Error('expected BoW responses')
    expect(empty.words).toEqual([])
    expect(empty.scores).toEqual([])
    expect(empty.probabilities).toEqual(stop.probabilities)
    expect(allFinite(empty.probabilities)).toBe(true)
  }, 30_000)

  it('kernelShap on empty input → unsupported', async () => {
    expect(await errorCode(runRequest(bow('', 'KernelShap'), env))).toBe('unsupported')
  }, 30_000)

  it('emoji, CJK and <script> text works; unknown words map to <UNK>', async () => {
    const res = await runRequest(bow('I love 🍕 日本語 <script>x</script>'), env)
    if (res.kind !== 'bow')
      throw new Error('expected a BoW response')
    expect(res.words).toContain('love')
    expect(allFinite(res.scores)).toBe(true)
  }, 30_000)
})

describe('the CLI (child process)', () => {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx')
  function cli(request: unknown, name: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
    const file = join(fx.root, `${name}.json`)
    writeFileSync(file, JSON.stringify(request))
    return new Promise((resolve) => {
      execFile(tsx, ['engine/cli.ts', '--request', file], { cwd: REPO_ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr })
      })
    })
  }
  // Only the lines the CLI writes itself (npm/node may print warnings of their own).
  const errorLines = (stderr: string) => stderr.split('\n').filter(l => l.startsWith('error['))

  it('bad inputs exit non-zero with one error line; weird text succeeds with JSON on stdout', async () => {
    const [empty, missing, weird] = await Promise.all([
      cli(llmRequest(fx.dir, { input: { type: 'text', text: '' } }), 'empty'),
      cli(llmRequest(join(fx.root, 'nowhere')), 'missing'),
      cli(llmRequest(fx.dir, { input: { type: 'text', text: WEIRD } }), 'weird'),
    ])
    expect(empty.code).not.toBe(0)
    expect(errorLines(empty.stderr)).toHaveLength(1)
    expect(errorLines(empty.stderr)[0]).toMatch(/^error\[empty-input\]: .+/)
    expect(empty.stdout).toBe('')
    expect(missing.code).not.toBe(0)
    expect(errorLines(missing.stderr)).toHaveLength(1)
    expect(errorLines(missing.stderr)[0]).toMatch(/^error\[missing-model\]: .+/)

    expect(weird.code).toBe(0)
    const res = JSON.parse(weird.stdout) as LlmResponse
    const direct = await runRequest(llmRequest(fx.dir, { input: { type: 'text', text: WEIRD } }), env) as LlmResponse
    expect(res.inputTokens).toEqual(direct.inputTokens)
    expect(res.seqAttr).toEqual(direct.seqAttr)
  }, 90_000)
})
