import type { AttributionRequest } from './api'
/**
 * `npm run --silent attribute -- --request <file.json>`
 *
 * Prints one JSON response on stdout. On bad input it exits non-zero with a one-line
 * message on stderr (`error[<code>]: <message>`). `--request -` reads stdin.
 * A file holding a JSON *array* of requests is answered with an array of responses, in
 * one process (models are loaded once): the tests and the PDF check use that.
 */
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { parseArgs } from 'node:util'
import { AttributionError } from './core/errors'
import { nodeEnv } from './node-env'
import { runRequest } from './run'

function fail(code: string, message: string): never {
  process.stderr.write(`error[${code}]: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
  process.exit(code === 'internal' ? 70 : 2)
}

async function main() {
  const usage = 'usage: npm run --silent attribute -- --request <file.json | ->'
  let path: string | undefined
  try {
    path = parseArgs({ options: { request: { type: 'string' } }, strict: true }).values.request
  }
  catch (e) {
    fail('bad-request', `${(e as Error).message}. ${usage}`)
  }
  if (!path)
    fail('bad-request', usage)
  let request: AttributionRequest | AttributionRequest[]
  try {
    request = JSON.parse(readFileSync(path === '-' ? 0 : path, 'utf8')) as AttributionRequest | AttributionRequest[]
  }
  catch (e) {
    fail('bad-request', `cannot read the request ${path}: ${(e as Error).message}`)
  }
  try {
    const response = Array.isArray(request)
      ? await sequential(request.map(r => () => runRequest(r, nodeEnv())))
      : await runRequest(request, nodeEnv())
    process.stdout.write(`${JSON.stringify(response)}\n`)
  }
  catch (e) {
    if (e instanceof AttributionError)
      fail(e.code, e.message)
    fail('internal', (e as Error).stack ?? String(e))
  }
}

async function sequential<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = []
  for (const job of jobs)
    out.push(await job())
  return out
}

void main().then(() => process.exit(0))
