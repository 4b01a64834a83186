import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Component tests import `.vue` files (compiled by Vue's own plugin, as Slidev's Vite does)
  // and mount them with @vue/test-utils in happy-dom (`// @vitest-environment happy-dom`).
  // vitest 3 types its plugins with its own copy of Vite's types, not the deck's Vite 8.
  plugins: [vue() as never],
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    // Model loading and reference comparisons can take a few seconds on 2 cores.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Two cores: run files in one fork pool of 2 so tfjs/ORT tests do not starve each other.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
})
