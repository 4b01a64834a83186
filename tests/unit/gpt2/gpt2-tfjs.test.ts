import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeFiles } from '../../../engine/core/node-files'
import { Gpt2Tfjs } from '../../../engine/models/gpt2-tfjs'
import { tf } from '../../../engine/models/tf-backend'
import { haveShared } from '../../shared-reference'
import { logSoftmaxAt, TINY, writeRandomGpt2 } from './random-gpt2'

const HAVE_TINY = haveShared('captum-reference/gpt2-tiny/onnx/model.onnx')
if (!HAVE_TINY)
  console.warn(`[gpt2] ${TINY} is absent: skipping the ORT logits comparison and the greedy-generation check.`)

describe('the tfjs GPT-2 (Gpt2Tfjs) on a random in-memory model', () => {
  let rand: ReturnType<typeof writeRandomGpt2>
  let model: Gpt2Tfjs
  beforeAll(async () => {
    rand = writeRandomGpt2({ prefix: false })
    model = await Gpt2Tfjs.load(nodeFiles(rand.dir))
  })
  afterAll(() => {
    model?.dispose()
    rand?.cleanup()
  })

  it('loads names without the transformer. prefix and runs on the cpu backend in Node', () => {
    expect(model.backend).toBe('cpu')
    expect(model.config).toMatchObject({ nLayer: 2, nEmbd: 16, nHead: 2, nPositions: 32, vocabSize: 61, nInner: 64, layerNormEpsilon: 1e-5 })
  })

  it('is causal: changing a later token leaves every earlier position\'s logits unchanged', () => {
    const a = [3, 14, 15, 9, 26, 5]
    const b = [3, 14, 15, 9, 40, 41]
    const la = model.logits([a, b])
    const d = la.dataSync()
    la.dispose()
    const V = 61
    const L = a.length
    let maxDiff = 0
    for (let i = 0; i < 4 * V; i++) maxDiff = Math.max(maxDiff, Math.abs(d[i] - d[L * V + i]))
    expect(maxDiff).toBe(0)
    // …and the changed positions do change.
    let later = 0
    for (let i = 4 * V; i < L * V; i++) later = Math.max(later, Math.abs(d[i] - d[L * V + i]))
    expect(later).toBeGreaterThan(1e-3)
  })

  it('logits from ids equal logits from their embeddings; explicit default position ids change nothing', () => {
    const ids = [1, 2, 3, 4, 5]
    const fromIds = model.logits([ids])
    const emb = model.embedTokens([ids])
    const fromEmb = model.logitsFromEmbeds(emb, [[0, 1, 2, 3, 4]])
    expect(Array.from(fromEmb.dataSync())).toEqual(Array.from(fromIds.dataSync()))
    // Shifted positions are a different input: position embeddings matter.
    const shifted = model.logitsFromEmbeds(emb, [[1, 2, 3, 4, 5]])
    expect(Math.abs(shifted.dataSync()[0] - fromIds.dataSync()[0])).toBeGreaterThan(1e-4)
    tf.dispose([fromIds, emb, fromEmb, shifted])
  })

  it('logProbGrads returns log_softmax at the chosen position and a gradient that matches finite differences', async () => {
    const ids = [7, 8, 9, 10]
    const x = await model.embed(ids) // [4, 16]
    const lg = model.logits([ids])
    const logits = lg.dataSync()
    lg.dispose()
    const pos = 2
    const tgt = 33
    const { logProbs, grads } = await model.logProbGrads(x, 1, 4, [pos], [tgt], 4)
    expect(logProbs[0]).toBeCloseTo(logSoftmaxAt(logits, pos * 61, 61, tgt), 5)
    // Positions after the read position get exactly zero gradient (causal mask).
    for (let e = 0; e < 16; e++) expect(grads[3 * 16 + e]).toBe(0)
    // Central differences along a few coordinates (float32: h = 1e-2, loose tolerance).
    const h = 1e-2
    for (const j of [0, 5, 16 + 3, 32 + 7]) {
      const xp = x.slice()
      const xm = x.slice()
      xp[j] += h
      xm[j] -= h
      const fp = (await model.logProbGrads(xp, 1, 4, [pos], [tgt], 4)).logProbs[0]
      const fm = (await model.logProbGrads(xm, 1, 4, [pos], [tgt], 4)).logProbs[0]
      expect(grads[j]).toBeCloseTo((fp - fm) / (2 * h), 2)
    }
  })

  it('rows are independent: a batched call equals row-by-row calls', async () => {
    const x1 = await model.embed([1, 2, 3])
    const x2 = await model.embed([4, 5, 6])
    const both = new Float32Array([...x1, ...x2])
    const b = await model.logProbGrads(both, 2, 3, [2, 1], [10, 20], 3)
    const r1 = await model.logProbGrads(x1, 1, 3, [2], [10], 3)
    const r2 = await model.logProbGrads(x2, 1, 3, [1], [20], 3)
    expect(b.logProbs[0]).toBeCloseTo(r1.logProbs[0], 6)
    expect(b.logProbs[1]).toBeCloseTo(r2.logProbs[0], 6)
    for (let i = 0; i < 48; i++) {
      expect(b.grads[i]).toBeCloseTo(r1.grads[i], 6)
      expect(b.grads[48 + i]).toBeCloseTo(r2.grads[i], 6)
    }
  })

  it('leaves tf.memory().numTensors flat over 20 forward + gradient runs', async () => {
    const x = await model.embed([1, 2, 3, 4])
    const run = async () => {
      const l = model.logits([[1, 2, 3, 4]])
      await l.data()
      l.dispose()
      await model.logProbGrads(x, 1, 4, [3], [5], 2)
      await model.generate([1, 2], 2)
    }
    await run() // warm-up: backends may cache kernels on the first call
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) await run()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses ids outside the vocabulary or the context', () => {
    expect(() => model.logits([[61]])).toThrow(/outside the vocabulary/)
    expect(() => model.logits([Array.from({ length: 33 }, () => 1)])).toThrowError(expect.objectContaining({ code: 'too-long' }))
  })
})

describe.skipIf(!HAVE_TINY)('the tfjs GPT-2 vs ONNX Runtime on the shared tiny GPT-2', () => {
  let model: Gpt2Tfjs
  beforeAll(async () => {
    model = await Gpt2Tfjs.load(nodeFiles(TINY))
  })
  afterAll(() => model?.dispose())

  it('gives the ORT model.onnx logits within 1e-4 at every position', async () => {
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(join(TINY, 'onnx', 'model.onnx'))
    const ref = JSON.parse(readFileSync(join(TINY, 'reference.json'), 'utf8'))
    const ids: number[] = [...ref.inputs.a.prompt_ids, ...ref.inputs.a.target_ids.slice(0, -1)]
    const L = ids.length
    const i64 = (v: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length])
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
      input_ids: i64(ids),
      attention_mask: i64(ids.map(() => 1)),
      position_ids: i64(ids.map((_, i) => i)),
    }
    for (let i = 0; i < 2; i++) {
      for (const kv of ['key', 'value'])
        feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16])
    }
    const out = await session.run(feeds)
    const want = out.logits.data as Float32Array
    const lg = model.logits([ids])
    const got = await lg.data()
    lg.dispose()
    expect(got.length).toBe(L * 50257)
    let maxAbs = 0
    for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i] - got[i]))
    expect(maxAbs).toBeLessThan(1e-4)
    // The teacher-forced log-probs equal Captum's recorded one-pass values.
    const P = ref.inputs.a.prompt_ids.length
    ref.inputs.a.target_ids.forEach((t: number, k: number) => {
      expect(logSoftmaxAt(got, (P - 1 + k) * 50257, 50257, t)).toBeCloseTo(ref.inputs.a.target_logprobs_one_pass.per_token[k], 4)
    })
    await session.release()
  })

  it('greedy generation equals the fixture (HF generate, do_sample=False)', async () => {
    const fx = JSON.parse(readFileSync(join(TINY, 'oracle_fixture.json'), 'utf8'))
    expect(await model.generate(fx.single.input_ids, 5, 50256)).toEqual(fx.greedy5)
  })
})
