/**
 * bow.json's `activations` is honoured, layer by layer: a model whose hidden layer is a
 * sigmoid and whose output is a hardsigmoid (the reverse of the course model) gives the
 * hand-computed forward, finite-difference gradients, and DeepLift's completeness; an
 * activation the engine does not run is refused when the folder is read.
 */
import type { BowActivation } from '../../../engine/core/bow-format'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BOW_CONFIG_FILE, encodeBowFolder } from '../../../engine/core/bow-format'
import { BowModel } from '../../../engine/models/bow-model'
import { nodeFiles } from '../../../engine/node-files'

// 3 words → 2 hidden (sigmoid) → 2 classes (hardsigmoid). PyTorch layout: weight [out][in].
const W1 = [0.8, -1.2, 0.5, 0.3, 0.9, -0.7]
const B1 = [0.1, -0.2]
const W2 = [1.5, -2.0, -0.6, 1.1]
const B2 = [0.2, -0.1]

function writeModel(activations: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bow-act-'))
  const files = encodeBowFolder({
    vocab: ['good', 'bad', 'game'],
    layers: [
      { weight: W1, bias: B1, inSize: 3, outSize: 2, activation: activations[0] as BowActivation },
      { weight: W2, bias: B2, inSize: 2, outSize: 2, activation: activations[1] as BowActivation },
    ],
    labels: ['negative', 'positive'],
    preprocess: { stopwords: [], maxLen: 128, numToken: '<NUM>', unkToken: '<UNK>' },
    provenance: { test: 'activations' },
  })
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes)
  return dir
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z))
const hardsigmoid = (z: number) => Math.min(Math.max(z + 3, 0), 6) / 6

/** The forward in float64, by hand. */
function reference(x: number[]): number[] {
  const h = [0, 1].map(o => sigmoid(B1[o]! + x.reduce((s, v, i) => s + W1[o * 3 + i]! * v, 0)))
  return [0, 1].map(o => hardsigmoid(B2[o]! + h.reduce((s, v, i) => s + W2[o * 2 + i]! * v, 0)))
}

describe('bow.json activations', () => {
  it('runs each layer with its own activation: forward, gradient and DeepLift completeness', async () => {
    const model = await BowModel.load(nodeFiles(writeModel(['sigmoid', 'hardsigmoid'])), { prefer: ['cpu'] })
    try {
      const x = [1, 2, 1]
      const [probs] = await model.predict([Float64Array.from(x)])
      const want = reference(x)
      probs!.forEach((p, c) => expect(p).toBeCloseTo(want[c]!, 6))
      // The course model's fixed order (hardsigmoid hidden, sigmoid out) gives other numbers:
      // the field is not ignored.
      const h1 = [0, 1].map(o => hardsigmoid(B1[o]! + x.reduce((s, v, i) => s + W1[o * 3 + i]! * v, 0)))
      const fixedOrder = sigmoid(B2[1]! + h1.reduce((s, v, i) => s + W2[2 + i]! * v, 0))
      expect(Math.abs(probs![1]! - fixedOrder)).toBeGreaterThan(0.01)

      const { grads } = await model.gradientFn(1)([Float64Array.from(x)])
      const h = 1e-3
      x.forEach((_, i) => {
        const up = x.map((v, j) => (j === i ? v + h : v))
        const down = x.map((v, j) => (j === i ? v - h : v))
        const fd = (reference(up)[1]! - reference(down)[1]!) / (2 * h)
        expect(grads[0]![i]!).toBeCloseTo(fd, 4)
      })

      const baseline = new Float64Array(3)
      const { multipliers, outputs, baselineOutputs } = await model.deepLiftMultipliers([Float64Array.from(x)], [baseline], 1, 'rescale')
      const sum = x.reduce((s, v, i) => s + v * multipliers[0]![i]!, 0)
      expect(sum).toBeCloseTo(outputs[0]! - baselineOutputs[0]!, 5)
      expect(outputs[0]! - baselineOutputs[0]!).toBeCloseTo(want[1]! - reference([0, 0, 0])[1]!, 6)
    }
    finally {
      model.dispose()
    }
  })

  it('refuses an activation it does not run, naming it', async () => {
    const dir = writeModel(['sigmoid', 'hardsigmoid'])
    const config = JSON.parse(readFileSync(join(dir, BOW_CONFIG_FILE), 'utf8'))
    config.activations = ['relu', 'sigmoid']
    writeFileSync(join(dir, BOW_CONFIG_FILE), JSON.stringify(config))
    await expect(BowModel.load(nodeFiles(dir), { prefer: ['cpu'] })).rejects.toThrow(/unknown activation "relu" \(this engine runs hardsigmoid, sigmoid\)/)
  })
})
