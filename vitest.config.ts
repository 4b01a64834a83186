import { defineConfig } from 'vitest/config'

export default defineConfig({
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
