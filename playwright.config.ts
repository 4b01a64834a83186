import { existsSync } from 'node:fs'
import { defineConfig } from '@playwright/test'

/**
 * E2E against the built deck (`dist/`), served by scripts/serve.mjs. We never download a
 * browser: the system Chromium is used when present (Debian: /usr/bin/chromium).
 */
const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(p => existsSync(p))
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]
const port = Number(process.env.E2E_PORT ?? 4173)

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 240_000,
  expect: { timeout: 120_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1280, height: 720 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? systemChromium,
      args: chromiumArgs,
    },
  },
  webServer: {
    command: `node scripts/serve.mjs dist ${port} /`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 30_000,
  },
})
