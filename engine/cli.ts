/**
 * `npm run --silent attribute -- --request <file.json>`
 *
 * Prints one JSON response on stdout. On bad input it exits non-zero with a one-line
 * message on stderr (`error[<code>]: <message>`). `--request -` reads stdin.
 */
import { readFileSync } from 'node:fs'
import process from 'node:process'
import type { AttributionRequest } from './api'
import { AttributionError } from './core/errors'
import { nodeEnv } from './node-env'
import { runRequest } from './run'

function fail(code: string, message: string): never {
  process.stderr.write(`error[${code}]: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
  process.exit(code === 'internal' ? 70 : 2)
}

async function main() {
  const args = process.argv.slice(2)
  const i = args.indexOf('--request')
  const path = i >= 0 ? args[i + 1] : undefined
  if (!path)
    fail('bad-request', 'usage: npm run --silent attribute -- --request <file.json | ->')
  let request: AttributionRequest
  try {
    request = JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8')) as AttributionRequest
  }
  catch (e) {
    fail('bad-request', `cannot read the request ${path}: ${(e as Error).message}`)
  }
  try {
    const response = await runRequest(request, nodeEnv())
    process.stdout.write(`${JSON.stringify(response)}\n`)
  }
  catch (e) {
    if (e instanceof AttributionError)
      fail(e.code, e.message)
    fail('internal', (e as Error).stack ?? String(e))
  }
}

void main().then(() => process.exit(0))
