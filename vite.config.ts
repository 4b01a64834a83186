import { defineConfig } from 'vite'

export default defineConfig({
  // The engine worker lazy-loads the runtimes (tfjs backends, transformers.js): ES workers allow that.
  worker: { format: 'es' },
  optimizeDeps: {
    // Pre-bundling these breaks their own wasm/worker URL resolution.
    exclude: ['onnxruntime-web', '@huggingface/transformers'],
  },
})
