/**
 * GPT-2's `config.json`, as the generated graphs and the tfjs twin read it.
 */
import { AttributionError } from '../core/errors'

/** The config.json fields the forward needs (camelCase). */
export interface Gpt2Config {
  nLayer: number
  nEmbd: number
  nHead: number
  nPositions: number
  vocabSize: number
  nInner: number
  layerNormEpsilon: number
  activation: 'gelu_new' | 'gelu'
}

/** HF's `torch.finfo(torch.float32).min`, the value masked attention scores take. */
export const F32_MIN = -3.4028234663852886e38

/**
 * Parses a Hugging Face GPT-2 `config.json` object.
 *
 * @example
 * const cfg = parseGpt2Config({ n_layer: 2, n_embd: 32, n_head: 2, n_positions: 128, vocab_size: 50257 })
 */
export function parseGpt2Config(raw: Record<string, unknown>): Gpt2Config {
  const num = (k: string, fallback?: number): number => {
    const v = raw[k] ?? fallback
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new AttributionError('corrupt-model', `GPT-2 config.json lacks a numeric "${k}".`)
    return v
  }
  const act = String(raw.activation_function ?? 'gelu_new')
  const activation = act === 'gelu_new' || act === 'gelu_pytorch_tanh' ? 'gelu_new' : act === 'gelu' ? 'gelu' : null
  if (!activation)
    throw new AttributionError('unsupported', `GPT-2 activation "${act}" is not supported (gelu_new, gelu_pytorch_tanh, gelu).`)
  const nEmbd = num('n_embd')
  const nHead = num('n_head')
  if (nEmbd % nHead !== 0)
    throw new AttributionError('corrupt-model', `GPT-2 config: n_embd ${nEmbd} is not a multiple of n_head ${nHead}.`)
  return {
    nLayer: num('n_layer'),
    nEmbd,
    nHead,
    nPositions: num('n_positions', raw.n_ctx as number | undefined),
    vocabSize: num('vocab_size'),
    nInner: typeof raw.n_inner === 'number' ? raw.n_inner : 4 * nEmbd,
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
    activation,
  }
}
