/**
 * `npm run bake [-- --out public/baked] [--models public/models] [--llm distilgpt2]`
 *
 * Runs every demo's default request (components/demo/catalog.ts) through the engine in
 * Node, with the CLI's code path (`runRequest`), and records the responses in
 * `public/baked/`, keyed by the request and by the model folder's manifest hash. The
 * deck shows a recorded result at once (marked "recorded") when the hash matches the
 * model it serves, and ignores it otherwise. Demos whose model is absent are skipped.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { allDefaultRequests } from '../components/demo/catalog'
import { requestKeyOf } from '../engine/core/request-key'
import { modelHash, sha256Hex } from '../engine/core/manifest'
import type { ModelManifest } from '../engine/core/manifest'
import { nodeFiles } from '../engine/core/node-files'
import { runRequest } from '../engine/run'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback
}

async function main() {
  const out = resolve(arg('out', 'public/baked'))
  const modelsDir = resolve(arg('models', 'public/models'))
  const llm = arg('llm', 'distilgpt2')
  const only = arg('only', '')
  mkdirSync(out, { recursive: true })
  const indexPath = join(out, 'index.json')
  const index: { entries: Record<string, { file: string, modelHash: string, id: string }> } = existsSync(indexPath)
    ? JSON.parse(readFileSync(indexPath, 'utf8'))
    : { entries: {} }

  const hashes = new Map<string, string | null>()
  const hashOf = async (name: string) => {
    if (!hashes.has(name)) {
      const path = join(modelsDir, name, 'manifest.json')
      hashes.set(name, existsSync(path) ? await modelHash(JSON.parse(readFileSync(path, 'utf8')) as ModelManifest) : null)
    }
    return hashes.get(name)!
  }

  let baked = 0
  let skipped = 0
  for (const { id, request } of allDefaultRequests({ bow: 'bow', llm })) {
    if (only && !id.startsWith(only))
      continue
    const hash = await hashOf(request.model)
    if (!hash) {
      console.log(`- ${id}: model ${request.model} not in ${modelsDir} (no manifest.json), skipped`)
      skipped++
      continue
    }
    const key = requestKeyOf(request)
    const t0 = performance.now()
    const response = await runRequest(request, {
      locate: name => ({ name, files: nodeFiles(join(modelsDir, name)), root: `${modelsDir}/` }),
      offline: true,
    })
    const file = `${(await sha256Hex(key)).slice(0, 20)}.json`
    writeFileSync(join(out, file), `${JSON.stringify(response)}\n`)
    index.entries[key] = { file, modelHash: hash, id }
    baked++
    console.log(`✓ ${id} (${request.method}) ${Math.round(performance.now() - t0)} ms`)
  }
  writeFileSync(indexPath, `${JSON.stringify(index, null, 1)}\n`)
  console.log(`\nbaked ${baked}, skipped ${skipped} → ${out}`)
}

main().catch((e) => {
  console.error(`bake failed: ${(e as Error).message}`)
  process.exit(1)
})
