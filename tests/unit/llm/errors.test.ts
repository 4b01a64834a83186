import type { AttributionRequest } from '../../../engine/api'
import type { CausalLm } from '../../../engine/models/causal-lm'
/** Every bad input ends in a clear AttributionError with the right code, never NaN. */
import { cpSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { TextTemplateInput } from '../../../engine/inputs/text-template-input'
import { runLlmRequest } from '../../../engine/llm/run-llm'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { makeTinyFixture } from './helpers'

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p)
  }
  catch (e) {
    expect(e).toBeInstanceOf(AttributionError)
    expect((e as Error).message.length).toBeGreaterThan(10)
    expect((e as Error).message).not.toMatch(/\n/)
    return (e as AttributionError).code
  }
  return 'no error'
}

describe('lLM bad inputs', () => {
  let fx: { dir: string, cleanup: () => void }
  let lm: CausalLm
  let scratch: string
  const req = (input: AttributionRequest['input'], target: AttributionRequest['target'] = ' golf', extra: Partial<AttributionRequest> = {}): AttributionRequest =>
    ({ model: fx.dir, method: 'FeatureAblation', input, target, ...extra })

  beforeAll(async () => {
    fx = await makeTinyFixture()
    lm = await loadCausalLm(fx.dir)
    scratch = mkdtempSync(join(tmpdir(), 'llm-bad-'))
  })
  afterAll(() => {
    fx?.cleanup()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('empty prompt, empty target → empty-input', async () => {
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: '' }), lm))).toBe('empty-input')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: 'Hello' }, ''), lm))).toBe('empty-input')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: 'Hello' }, ' golf', { options: { skipTokens: ['Ġgolf'] } }), lm))).toBe('empty-input')
  })

  it('prompt + target longer than n_positions (128) → too-long', async () => {
    const long = 'word '.repeat(126)
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: long }, ' and more words here'), lm))).toBe('too-long')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: long }, null, { options: { maxNewTokens: 25 } }), lm))).toBe('too-long')
  })

  it('template with missing or extra values, or a bad brace → template', async () => {
    expect(await codeOf(() => new TextTemplateInput('{} lives in {}', ['Dave'], lm))).toBe('template')
    expect(await codeOf(() => new TextTemplateInput('{} lives', ['Dave', 'Paris'], lm))).toBe('template')
    expect(await codeOf(() => new TextTemplateInput('{name} lives in {city}', { name: 'Dave' }, lm))).toBe('template')
    expect(await codeOf(() => new TextTemplateInput('{name} lives', { name: 'Dave', city: 'Paris' }, lm))).toBe('template')
    expect(await codeOf(() => new TextTemplateInput('{name lives', { name: 'Dave' }, lm))).toBe('template')
    expect(await codeOf(runLlmRequest(req({ type: 'template', template: '{a} and {b}', values: { a: 'x' } }), lm))).toBe('template')
  })

  it('bad requests: gradient method, numeric target, unknown input type, bad attrTarget → bad-request', async () => {
    expect(await codeOf(runLlmRequest({ ...req({ type: 'text', text: 'Hi' }), method: 'Saliency' }, lm))).toBe('bad-request')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: 'Hi' }, 3), lm))).toBe('bad-request')
    expect(await codeOf(runLlmRequest(req({ type: 'tokens', tokens: ['a'] }), lm))).toBe('bad-request')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: 'Hi' }, ' there', { options: { attrTarget: 'logit' as never } }), lm))).toBe('bad-request')
  })

  it('a null target generates maxNewTokens tokens greedily and explains them', async () => {
    const res = await runLlmRequest(req({ type: 'text', text: 'Dave lives in Palm Coast' }, null, { options: { maxNewTokens: 3 } }), lm)
    expect(res.targetIds.length).toBe(3)
    expect(res.targetIds).toEqual(await lm.generate(lm.encode('Dave lives in Palm Coast'), { maxNewTokens: 3 }))
    expect(res.tokenAttr!.length).toBe(3)
    expect(res.seqAttr.every(Number.isFinite)).toBe(true)
  })

  it('missing folder or files → missing-model', async () => {
    expect(await codeOf(loadCausalLm(join(scratch, 'nope')))).toBe('missing-model')
    const noOnnx = join(scratch, 'no-onnx')
    cpSync(fx.dir, noOnnx, { recursive: true })
    rmSync(join(noOnnx, 'onnx'), { recursive: true })
    // Without the export, the attribution graph still comes from model.safetensors; without both, nothing runs.
    expect((await loadCausalLm(noOnnx)).scorer).toBe('attribution-graph')
    expect(await codeOf(loadCausalLm(noOnnx, { scorer: 'full-logits' }))).toBe('missing-model')
    rmSync(join(noOnnx, 'model.safetensors'))
    expect(await codeOf(loadCausalLm(noOnnx))).toBe('missing-model')
    expect(await codeOf(runLlmRequest(req({ type: 'text', text: 'Hi' }), join(scratch, 'nope2')))).toBe('missing-model')
  })

  it('truncated ONNX or malformed JSON → corrupt-model', async () => {
    const cut = join(scratch, 'cut')
    cpSync(fx.dir, cut, { recursive: true })
    truncateSync(join(cut, 'onnx', 'model.onnx'), 100_000)
    expect(await codeOf(loadCausalLm(cut, { scorer: 'full-logits' }))).toBe('corrupt-model')
    truncateSync(join(cut, 'model.safetensors'), 100_000)
    expect(await codeOf(loadCausalLm(cut))).toBe('corrupt-model')
    const badJson = join(scratch, 'badjson')
    cpSync(fx.dir, badJson, { recursive: true })
    writeFileSync(join(badJson, 'config.json'), '{"n_layer": 2, ')
    expect(await codeOf(loadCausalLm(badJson))).toBe('corrupt-model')
  })
})
