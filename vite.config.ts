import { defineConfig } from 'vite'

/**
 * Cross-origin isolation (COOP + COEP) for `npm run dev`, `slidev export` and vite's
 * preview: it enables SharedArrayBuffer, so ONNX Runtime Web and tfjs-wasm can use every
 * core (engine/core/platform.ts). Everything the deck loads is same-origin (local fonts,
 * models under /models, wasm from our own assets); the hub download is a CORS fetch,
 * which COEP allows. scripts/serve.mjs sends the same headers.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export default defineConfig({
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  // The engine worker lazy-loads the runtimes (tfjs backends, transformers.js): ES workers allow that.
  worker: { format: 'es' },
  optimizeDeps: {
    // Pre-bundling these breaks their own wasm/worker URL resolution.
    exclude: ['onnxruntime-web', '@huggingface/transformers'],
    // Declared up front: discovered late (inside the engine worker) they make `slidev dev`
    // re-optimise and reload the page during the first demo.
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'wink-lemmatizer', 'ml-matrix', 'pure-rand', 'fflate'],
  },
})
