import type { AttributionRequest } from '../../../engine/api'
import type { BowModel } from '../../../engine/models/bow-model'
/**
 * Our committed model (public/models/bow, made by `npm run train:bow`): format, training
 * report, preprocessing/alignment, PyTorch hardsigmoid semantics, analytic identities of
 * the methods through `runBowRequest`, and no tensor leaks. Needs nothing from ../shared.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bowInput, clearBowModelCache, loadBowModel, runBowRequest } from '../../../engine/bow/run-bow'
import { sha256Hex } from '../../../engine/core/manifest'
import { preprocessBow } from '../../../engine/inputs/bow-preprocess'
import { hardsigmoid, liveTensorCount } from '../../../engine/models/bow-model'
import { tf } from '../../../engine/models/tf-backend'
import { nodeFiles } from '../../../engine/node-files'
import { OUR_MODEL } from './helpers'

const files = nodeFiles(OUR_MODEL)
const TEXT = 'I hate it, hate it so much, but I love the soundtrack'
function req(method: AttributionRequest['method'], options: AttributionRequest['options'] = {}, text = TEXT): AttributionRequest {
  return { model: OUR_MODEL, method, options, input: { type: 'text', text }, target: null }
}

describe('our trained BoW model (public/models/bow)', () => {
  let model: BowModel
  beforeAll(async () => {
    model = await loadBowModel(files)
  })
  afterAll(async () => {
    await clearBowModelCache()
  })

  it('has the course architecture, a 5000-token vocab + <UNK>, the stopword list in its config', () => {
    expect(model.config.layerSizes.slice(1)).toEqual([30, 50, 100, 2])
    expect(model.config.activations).toEqual(['hardsigmoid', 'hardsigmoid', 'hardsigmoid', 'sigmoid'])
    expect(model.config.vocab.length).toBe(model.config.layerSizes[0])
    expect(model.config.vocab.length).toBeLessThanOrEqual(5001)
    expect(model.vocabIndex.has('<UNK>')).toBe(true)
    expect([...model.config.vocab].sort()).toEqual(model.config.vocab) // sorted(set(tokens)), as the notebook
    expect(model.config.preprocess.stopwords.length).toBe(179)
    expect(model.config.preprocess.maxLen).toBe(128)
    expect(model.config.labels).toEqual(['Negative', 'Positive'])
  })

  it('reports ≥ 0.80 accuracy on held-out tweet_id groups, and its manifest hashes match', async () => {
    const report = JSON.parse(readFileSync(join(OUR_MODEL, 'training-report.json'), 'utf8'))
    expect(report.split.by).toBe('tweet_id group')
    expect(report.heldOutGroups.accuracy).toBeGreaterThanOrEqual(0.8)
    expect(report.heldOutGroups.n).toBeGreaterThan(3000)
    const manifest = JSON.parse(readFileSync(join(OUR_MODEL, 'manifest.json'), 'utf8'))
    for (const [name, hash] of Object.entries(manifest.files))
      expect(await sha256Hex(readFileSync(join(OUR_MODEL, name))), name).toBe(hash)
  })

  it('classifies obvious sentences the right way', async () => {
    const pos = await runBowRequest(req('Saliency', {}, 'I love this game, it is amazing and fun'), files)
    const neg = await runBowRequest(req('Saliency', {}, 'This is terrible, worst update ever, I hate it'), files)
    expect(pos.target).toBe(1)
    expect(neg.target).toBe(0)
  })

  it('alignment reproduces the typed text and marks every word\'s fate', () => {
    const text = 'I cannot   believe the 2 new games!! 🙂 xqzzyv'
    const p = preprocessBow(text, model.config.preprocess, model.vocabIndex)
    expect(p.alignment.map(a => a.text).join('')).toBe(text)
    const byText = (t: string) => p.alignment.filter(a => a.text === t)
    expect(byText('cannot')[0]).toMatchObject({ token: 'can', status: 'stopword' }) // Treebank: can + not
    expect(p.alignment[p.alignment.indexOf(byText('cannot')[0]!) + 1]).toMatchObject({ text: '', token: 'not', status: 'stopword' })
    expect(byText('2')[0]).toMatchObject({ token: '<NUM>' })
    expect(byText('games!!')[0]).toMatchObject({ token: 'game', status: 'used' })
    expect(byText('🙂')[0]).toMatchObject({ token: null, status: 'space' })
    expect(byText('xqzzyv')[0]).toMatchObject({ token: '<UNK>', status: 'unk' })
    expect(byText('   ')[0]).toMatchObject({ token: null, status: 'space' })
    expect(p.tokens).toEqual(['believe', '<NUM>', 'new', 'game', '<UNK>'].filter(t => t === '<UNK>' || model.vocabIndex.has(t)))
  })

  it('keeps the last 128 tokens and marks the earlier ones dropped', () => {
    const words = model.config.vocab.filter(w => /^[a-z]{4,}$/.test(w) && !model.config.preprocess.stopwords.includes(w)).slice(0, 130)
    const p = preprocessBow(words.join(' '), { ...model.config.preprocess, lemmaOverrides: {} }, model.vocabIndex)
    const kept = p.alignment.filter(a => a.status === 'used' || a.status === 'unk')
    const dropped = p.alignment.filter(a => a.status === 'dropped')
    expect(p.tokens.length).toBe(128)
    expect(kept.length).toBe(128)
    expect(dropped.length).toBe(p.normalized.length - 128)
    expect(p.tokens).toEqual(p.normalized.slice(-128).map(t => (model.vocabIndex.has(t) ? t : '<UNK>')))
  })

  it('hardsigmoid is PyTorch\'s: relu6(z+3)/6 with gradient 1/6 only strictly inside (−3, 3)', () => {
    const z = tf.tensor1d([-4, -3, -2.5, 0, 2.5, 3, 4])
    const y = tf.tidy(() => hardsigmoid(z))
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(hardsigmoid(t)))(z))
    expect(Array.from(y.dataSync())).toEqual([0, 0, Math.fround(0.5 / 6), 0.5, Math.fround(5.5 / 6), 1, 1])
    // tfjs's own clipByValue gradient would give 1/6 at exactly ±3.
    expect(Array.from(g.dataSync())).toEqual([0, 0, Math.fround(1 / 6), Math.fround(1 / 6), Math.fround(1 / 6), 0, 0])
    tf.dispose([z, y, g])
  })

  it('the hand-written backward equals tfjs autodiff through the custom hardsigmoid', async () => {
    const { x } = bowInput(model, { type: 'text', text: TEXT })
    const rows = [x, x.map(v => v * 0.3), x.map((v, i) => v + (i % 7) * 0.01)]
    const { grads, outputs } = await model.gradientFn(1)(rows)
    const probs = await model.predict(rows)
    outputs.forEach((o, r) => expect(o).toBeCloseTo(probs[r]![1]!, 6))
    // Finite differences on the present words (the model is piecewise smooth there).
    const p = model.featureGroups(x).presentIndices
    const f = model.scalarForward(1)
    for (const i of p) {
      const h = 1e-2
      const [a, b] = await f([x.map((v, j) => (j === i ? v + h : v)), x.map((v, j) => (j === i ? v - h : v))])
      expect(grads[0]![i]!).toBeCloseTo((a! - b!) / (2 * h), 3)
    }
  })

  it('identities: IG completeness, Σ Shapley = f(x) − f(0), FeatureAblation, InputXGradient, Saliency, DeepLift rescale', async () => {
    const { x, presentIndices } = bowInput(model, { type: 'text', text: TEXT })
    const [px] = await model.predict([x])
    const [p0] = await model.predict([new Float64Array(x.length)])
    const t = px![1]! > px![0]! ? 1 : 0
    const diff = px![t]! - p0![t]!
    const ig = await runBowRequest(req('IntegratedGradients', { nSteps: 100 }), files)
    expect(Math.abs(ig.convergenceDelta!)).toBeLessThan(1e-3)
    expect(Math.abs(ig.scores.reduce((a, b) => a + b, 0) - diff - ig.convergenceDelta!)).toBeLessThan(1e-5)
    const sv = await runBowRequest(req('ShapleyValues'), files)
    expect(sv.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(diff, 5)
    const fa = await runBowRequest(req('FeatureAblation'), files)
    for (let g = 0; g < presentIndices.length; g++) {
      const [pg] = await model.predict([x.map((v, i) => (i === presentIndices[g] ? 0 : v))])
      expect(fa.scores[g]).toBeCloseTo(px![t]! - pg![t]!, 6)
    }
    const { grads } = await model.gradientFn(t)([x])
    const ixg = await runBowRequest(req('InputXGradient'), files)
    expect(ixg.scores).toEqual(presentIndices.map(i => x[i]! * grads[0]![i]!))
    const sal = await runBowRequest(req('Saliency'), files)
    expect(sal.scores).toEqual(presentIndices.map(i => Math.abs(grads[0]![i]!)))
    const dl = await runBowRequest(req('DeepLift', { deepLiftVariant: 'rescale' }), files)
    expect(Math.abs(dl.convergenceDelta!)).toBeLessThan(1e-5)
    const dlCaptum = await runBowRequest(req('DeepLift', { deepLiftVariant: 'captum' }), files)
    expect(dlCaptum.scores).toEqual(ixg.scores) // Captum on functional activations ≡ InputXGradient
    const svs = await runBowRequest(req('ShapleyValueSampling', { nSamples: 5, seed: 3 }), files)
    expect(svs.scores.reduce((a, b) => a + b, 0)).toBeCloseTo(diff, 5) // every permutation telescopes
  })

  it('stochastic methods are reproducible for a seed and change with it', async () => {
    const a = await runBowRequest(req('KernelShap', { nSamples: 60, seed: 5 }), files)
    const b = await runBowRequest(req('KernelShap', { nSamples: 60, seed: 5 }), files)
    const c = await runBowRequest(req('KernelShap', { nSamples: 60, seed: 6 }), files)
    expect(a.scores).toEqual(b.scores)
    expect(a.scores).not.toEqual(c.scores)
  })

  it('rejects bad requests with clear AttributionErrors', async () => {
    await expect(runBowRequest({ ...req('Saliency'), target: 7 }, files)).rejects.toMatchObject({ code: 'bad-request' })
    await expect(runBowRequest({ ...req('Saliency'), input: { type: 'template', template: '{x}', values: ['a'] } }, files)).rejects.toMatchObject({ code: 'bad-request' })
    await expect(runBowRequest(req('LayerIntegratedGradients'), files)).rejects.toMatchObject({ code: 'bad-request' })
    await expect(runBowRequest(req('KernelShap', {}, 'the of and'), files)).rejects.toMatchObject({ code: 'unsupported' })
    await expect(runBowRequest(req('Saliency'), nodeFiles('/nonexistent-bow'))).rejects.toMatchObject({ code: 'missing-model' })
  })

  it('keeps tf.memory().numTensors flat over 100 attributions', async () => {
    const methods: Array<[AttributionRequest['method'], AttributionRequest['options']]> = [
      ['Saliency', {}],
      ['FeatureAblation', {}],
      ['IntegratedGradients', { nSteps: 4 }],
      ['DeepLift', { deepLiftVariant: 'rescale' }],
      ['KernelShap', { nSamples: 20 }],
    ]
    for (const [m, o] of methods) await runBowRequest(req(m, o), files) // warm-up
    const before = liveTensorCount()
    for (let i = 0; i < 100; i++) {
      const [m, o] = methods[i % methods.length]!
      await runBowRequest(req(m, { ...o, seed: i }), files)
    }
    expect(liveTensorCount()).toBe(before)
  })
})
