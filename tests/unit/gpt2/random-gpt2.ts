/**
 * A small random GPT-2 written to a temp folder as `config.json` + `model.safetensors`,
 * so the gradient tests run without /work/shared. Weights are larger than GPT-2's init
 * (std 0.3) so that the model is visibly nonlinear and attributions are not tiny.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Rng } from '../../../engine/core/rng'
import { writeSafetensors } from '../../../engine/models/safetensors'
import { REPO_ROOT, SHARED_DIR } from '../../shared-reference'

export interface RandomGpt2Options {
  nLayer?: number
  nEmbd?: number
  nHead?: number
  nPositions?: number
  vocabSize?: number
  seed?: number
  /** Write names with the `transformer.` prefix (HF GPT2LMHeadModel) or without (GPT2Model). */
  prefix?: boolean
  std?: number
}

/** Writes a random GPT-2 folder and returns its path and a cleanup function. */
export function writeRandomGpt2(o: RandomGpt2Options = {}): { dir: string, config: Record<string, unknown>, cleanup: () => void } {
  const { nLayer = 2, nEmbd = 16, nHead = 2, nPositions = 32, vocabSize = 61, seed = 7, prefix = true, std = 0.3 } = o
  const rng = new Rng(seed)
  const t: Record<string, { shape: number[], data: Float32Array }> = {}
  const p = prefix ? 'transformer.' : ''
  const add = (name: string, shape: number[], mean = 0, s = std) => {
    const n = shape.reduce((a, b) => a * b, 1)
    t[p + name] = { shape, data: Float32Array.from({ length: n }, () => rng.normal(mean, s)) }
  }
  add('wte.weight', [vocabSize, nEmbd])
  add('wpe.weight', [nPositions, nEmbd])
  for (let i = 0; i < nLayer; i++) {
    add(`h.${i}.ln_1.weight`, [nEmbd], 1, 0.1)
    add(`h.${i}.ln_1.bias`, [nEmbd], 0, 0.1)
    add(`h.${i}.attn.c_attn.weight`, [nEmbd, 3 * nEmbd])
    add(`h.${i}.attn.c_attn.bias`, [3 * nEmbd], 0, 0.1)
    add(`h.${i}.attn.c_proj.weight`, [nEmbd, nEmbd])
    add(`h.${i}.attn.c_proj.bias`, [nEmbd], 0, 0.1)
    add(`h.${i}.ln_2.weight`, [nEmbd], 1, 0.1)
    add(`h.${i}.ln_2.bias`, [nEmbd], 0, 0.1)
    add(`h.${i}.mlp.c_fc.weight`, [nEmbd, 4 * nEmbd])
    add(`h.${i}.mlp.c_fc.bias`, [4 * nEmbd], 0, 0.1)
    add(`h.${i}.mlp.c_proj.weight`, [4 * nEmbd, nEmbd])
    add(`h.${i}.mlp.c_proj.bias`, [nEmbd], 0, 0.1)
  }
  add('ln_f.weight', [nEmbd], 1, 0.1)
  add('ln_f.bias', [nEmbd], 0, 0.1)
  const config = {
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: nLayer,
    n_embd: nEmbd,
    n_head: nHead,
    n_positions: nPositions,
    n_inner: null,
    vocab_size: vocabSize,
    layer_norm_epsilon: 1e-5,
  }
  const dir = mkdtempSync(join(tmpdir(), 'gpt2-rand-'))
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(t, { format: 'pt' }))
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return { dir, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** log_softmax(row)[id] in float64. */
export function logSoftmaxAt(logits: ArrayLike<number>, offset: number, vocab: number, id: number): number {
  let max = -Infinity
  for (let v = 0; v < vocab; v++) max = Math.max(max, logits[offset + v])
  let sum = 0
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[offset + v] - max)
  return logits[offset + id] - max - Math.log(sum)
}

/** The read-only shared folder, a sibling of the repo root (`<root>/../shared`). */
export { REPO_ROOT }
export const SHARED = SHARED_DIR
export const TINY = join(SHARED, 'captum-reference', 'gpt2-tiny')
