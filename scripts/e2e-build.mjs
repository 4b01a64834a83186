#!/usr/bin/env node
// Builds the deck the way the e2e tests need it: offline (no hub), with our own tiny
// GPT-2 fixture standing in for distilgpt2, and the fixture copied next to the built
// site's models. `npm run test:e2e` runs this, then Playwright.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync } from 'node:fs'
import { markAvailable } from './lib-available.mjs'

function run(cmd, args, env = {}) {
  console.log(`[e2e-build] ${cmd} ${args.join(' ')}`)
  const res = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } })
  if (res.status !== 0)
    process.exit(res.status ?? 1)
}

if (!existsSync('fixtures/tiny-gpt2/onnx/model.onnx'))
  run('npx', ['tsx', 'scripts/make-fixtures.ts'])
run('npx', ['slidev', 'build', '--out', 'dist'], { VITE_OFFLINE: '1', VITE_LLM_MODEL: 'tiny-gpt2' })
mkdirSync('dist/models', { recursive: true })
cpSync('fixtures/tiny-gpt2', 'dist/models/tiny-gpt2', { recursive: true })
markAvailable('dist/models', 'tiny-gpt2')
