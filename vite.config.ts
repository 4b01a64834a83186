import { defineConfig } from 'vite'

export default defineConfig({
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
