// The files distilgpt2 needs from the Hugging Face hub, and the parser of the hub's
// `X-Linked-Etag` header. Plain ESM with no imports, so both the deck (hub-config.ts,
// hub.ts) and `npm run models` (scripts/download-models.mjs, plain Node) share one copy.

export const XENOVA_DISTILGPT2 = 'Xenova/distilgpt2'
export const DISTILBERT_DISTILGPT2 = 'distilbert/distilgpt2'

/** The hub files of distilgpt2: which repo holds each, and whether the model needs it. */
export const DISTILGPT2_HUB_FILES = Object.freeze([
  { path: 'config.json', repo: XENOVA_DISTILGPT2, required: true },
  { path: 'generation_config.json', repo: XENOVA_DISTILGPT2, required: false },
  { path: 'tokenizer.json', repo: XENOVA_DISTILGPT2, required: true },
  { path: 'tokenizer_config.json', repo: XENOVA_DISTILGPT2, required: true },
  { path: 'special_tokens_map.json', repo: XENOVA_DISTILGPT2, required: false },
  { path: 'onnx/decoder_model_merged.onnx', repo: XENOVA_DISTILGPT2, required: true },
  { path: 'onnx/decoder_model_merged_quantized.onnx', repo: XENOVA_DISTILGPT2, required: false },
  // The same weights as safetensors, for the tfjs gradient path.
  { path: 'model.safetensors', repo: DISTILBERT_DISTILGPT2, required: true },
].map(file => Object.freeze(file)))

/**
 * The sha256 an `X-Linked-Etag` header value announces (LFS files: the object id is the
 * sha256 of the content), lower-case hex, or null when absent or not a sha256.
 *
 * @example
 * linkedEtagSha256('W/"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"') // 'ba78…15ad'
 * linkedEtagSha256(null) // null
 */
export function linkedEtagSha256(value) {
  const linked = (value ?? '').replace(/^W\//, '').replace(/"/g, '').trim().toLowerCase()
  return /^[0-9a-f]{64}$/.test(linked) ? linked : null
}
