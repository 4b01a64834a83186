/**
 * Builds the bench page (`bench/index.html`) with the deck's own Vite settings
 * (`vite.config.ts`: ES workers, the runtimes kept out of pre-bundling), offline like
 * the e2e build: models are only ever read from `/models/<name>/`.
 * `scripts/bench-browser.ts` passes this config to Vite's `build()` and serves the output.
 */
import { fileURLToPath } from 'node:url'
import { mergeConfig } from 'vite'
import deck from '../vite.config'

/** Where the built page goes; ignored by git (under node_modules/.cache). */
export const BENCH_OUT_DIR = fileURLToPath(new URL('../node_modules/.cache/bench-browser/site', import.meta.url))

export default mergeConfig(deck, {
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // Nothing from the project's .env files: the bench must not pick up a hub URL or model.
  envDir: false,
  define: {
    'import.meta.env.VITE_OFFLINE': JSON.stringify('1'),
  },
  build: {
    outDir: BENCH_OUT_DIR,
    emptyOutDir: true,
    // The engine's chunks are large (tfjs, transformers.js); the warning is noise here.
    chunkSizeWarningLimit: 8192,
  },
  // 'error': the deck's build prints the same warnings (node:fs externalized for the
  // Node-only file reader, which the browser never loads); here they would only bury the table.
  logLevel: 'error',
})
