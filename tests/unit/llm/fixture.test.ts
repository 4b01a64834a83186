import type { CausalLm } from '../../../engine/models/causal-lm'
/**
 * Our generated tiny GPT-2 (scripts/make-fixtures.ts): it loads through transformers.js,
 * padded batches equal unbatched rows, the legacy decoder_model_merged graph agrees, and
 * the ONNX graph builder reproduces the reference folder's PyTorch export.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { buildGpt2Onnx } from '../../../scripts/fixtures/gpt2-onnx'
import { readSafetensors } from '../../../scripts/fixtures/safetensors'
import { GPT2_REF, HAS_SHARED, makeTinyFixture, maxAbsDiff } from './helpers'

const PROMPTS = ['Dave lives in Palm Coast, FL and is a lawyer.', 'Hello world', 'The quick brown fox']

describe('our tiny GPT-2 fixture', () => {
  let fx: { dir: string, cleanup: () => void }
  let lm: CausalLm
  beforeAll(async () => {
    fx = await makeTinyFixture()
    lm = await loadCausalLm(fx.dir, { scorer: 'full-logits' }) // the fixture's ONNX export, through transformers.js
  })
  afterAll(() => fx?.cleanup())

  it('has the Hugging Face layout, a manifest and the requested shapes', () => {
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.safetensors', 'onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'manifest.json'])
      expect(existsSync(join(fx.dir, f)), f).toBe(true)
    const cfg = JSON.parse(readFileSync(join(fx.dir, 'config.json'), 'utf8'))
    expect([cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_positions, cfg.vocab_size]).toEqual([2, 32, 2, 128, 50257])
    const w = readSafetensors(readFileSync(join(fx.dir, 'model.safetensors')))
    expect(w.get('transformer.wte.weight')!.shape).toEqual([50257, 32])
    // Non-trivial biases and LayerNorm affines (1 + N(0, 0.02), N(0, 0.02)).
    const ln = w.get('transformer.h.0.ln_1.weight')!.data
    expect(Math.max(...ln.map(v => Math.abs(v - 1)))).toBeGreaterThan(0.01)
    expect(Math.max(...w.get('transformer.h.1.mlp.c_fc.bias')!.data.map(Math.abs))).toBeGreaterThan(0.01)
    expect(lm.nPositions).toBe(128)
    expect(lm.modelFile).toBe('model')
  })

  it('is deterministic: the same seed writes the same weights', async () => {
    const again = await makeTinyFixture()
    try {
      expect(readFileSync(join(again.dir, 'model.safetensors')).equals(readFileSync(join(fx.dir, 'model.safetensors')))).toBe(true)
    }
    finally {
      again.cleanup()
    }
  })

  it('a right-padded batch equals each row run alone (logits and teacher-forced log-probs)', async () => {
    const rows = PROMPTS.map(p => lm.encode(p))
    const batched = await lm.logits(rows)
    for (let r = 0; r < rows.length; r++) {
      const [alone] = await lm.logits([rows[r]!])
      expect(maxAbsDiff(batched[r]!, alone!)).toBeLessThan(1e-5)
    }
    const target = lm.encode(' and plays golf on Sundays.')
    const scoreRows = rows.map(promptIds => ({ promptIds, targetIds: target }))
    const together = await lm.scoreTargets(scoreRows)
    for (let r = 0; r < rows.length; r++) {
      const [alone] = await lm.scoreTargets([scoreRows[r]!])
      expect(maxAbsDiff(together[r]!, alone!)).toBeLessThan(1e-5)
    }
  })

  it('teacher forcing reads log_softmax of position len(prompt)−1+k, and log-probs are ≈ −ln(50257) for random weights', async () => {
    const promptIds = lm.encode('Hello world')
    const targetIds = lm.encode(' again and')
    const [lp] = await lm.scoreTargets([{ promptIds, targetIds }])
    const [logits] = await lm.logits([[...promptIds, ...targetIds.slice(0, -1)]])
    const V = 50257
    for (let k = 0; k < targetIds.length; k++) {
      const row = logits!.subarray((promptIds.length - 1 + k) * V, (promptIds.length + k) * V)
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity)
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0))
      expect(lp![k]).toBeCloseTo(row[targetIds[k]!]! - lse, 5)
      expect(Math.abs(lp![k]! + Math.log(V))).toBeLessThan(1)
    }
  })

  it('greedy generation picks the argmax of the teacher-forced logits at every step', async () => {
    const promptIds = lm.encode('Hello world')
    const gen = await lm.generate(promptIds, { maxNewTokens: 4 })
    expect(gen.length).toBe(4)
    const [logits] = await lm.logits([[...promptIds, ...gen.slice(0, -1)]])
    const V = 50257
    gen.forEach((id, k) => {
      const row = logits!.subarray((promptIds.length - 1 + k) * V, (promptIds.length + k) * V)
      let arg = 0
      for (let v = 1; v < V; v++) {
        if (row[v]! > row[arg]!)
          arg = v
      }
      expect(id).toBe(arg)
    })
  })

  it('the legacy decoder_model_merged.onnx (no position_ids) gives the same right-padded results', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llm-legacy-'))
    try {
      const dir = join(root, 'legacy')
      cpSync(fx.dir, dir, { recursive: true })
      rmSync(join(dir, 'onnx', 'model.onnx'))
      const legacy = await loadCausalLm(dir, { scorer: 'full-logits' })
      expect(legacy.modelFile).toBe('decoder_model_merged')
      const rows = PROMPTS.map(p => lm.encode(p))
      const a = await lm.logits(rows)
      const b = await legacy.logits(rows)
      rows.forEach((_, r) => expect(maxAbsDiff(a[r]!, b[r]!)).toBeLessThan(1e-5))
      expect(await legacy.generate(rows[1]!, { maxNewTokens: 3 })).toEqual(await lm.generate(rows[1]!, { maxNewTokens: 3 }))
      await legacy.dispose()
    }
    finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})

describe.skipIf(!HAS_SHARED)(`ONNX graph builder vs the reference PyTorch export ${HAS_SHARED ? '' : '(skipped: shared reference absent)'}`, () => {
  it('a graph built from the reference model.safetensors gives the reference model.onnx logits within 1e-5', async () => {
    const root = mkdtempSync(join(tmpdir(), 'llm-rebuilt-'))
    try {
      const dir = join(root, 'rebuilt')
      cpSync(GPT2_REF, dir, { recursive: true })
      const w = readSafetensors(readFileSync(join(GPT2_REF, 'model.safetensors')))
      writeFileSync(join(dir, 'onnx', 'model.onnx'), buildGpt2Onnx(w, { nLayer: 2, nEmbd: 32, nHead: 2, vocabSize: 50257 }, 'model'))
      rmSync(join(dir, 'onnx', 'decoder_model_merged.onnx'))
      const ours = await loadCausalLm(dir, { scorer: 'full-logits' })
      const ref = await loadCausalLm(GPT2_REF, { scorer: 'full-logits' })
      const rows = PROMPTS.map(p => ref.encode(p))
      const a = await ref.logits(rows)
      const b = await ours.logits(rows)
      rows.forEach((_, r) => expect(maxAbsDiff(a[r]!, b[r]!)).toBeLessThan(1e-5))
      // The oracle's greedy 5-token continuations of its two prompts.
      const oracle = JSON.parse(readFileSync(join(GPT2_REF, 'oracle_fixture.json'), 'utf8'))
      expect(await ours.generate(ref.encode(oracle.prompts[0]), { maxNewTokens: 5 })).toEqual(oracle.greedy5)
      expect(await ours.generate(ref.encode(oracle.prompts[1]), { maxNewTokens: 5 })).toEqual(oracle.greedy5_prompt1)
      expect(await ref.generate(ref.encode(oracle.prompts[0]), { maxNewTokens: 5 })).toEqual(oracle.greedy5)
      await ours.dispose()
    }
    finally {
      rmSync(root, { recursive: true, force: true })
    }
  })
})
