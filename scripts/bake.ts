import type { BakedIndex } from '../components/demo/baked'
import type { ModelManifest } from '../engine/core/manifest'
/**
 * `npm run bake [-- --out public/baked] [--models public/models] [--llm distilgpt2] [--only bow-]`
 *
 * Runs every demo's default request (components/demo/catalog.ts) through the engine in
 * Node, with the CLI's code path (`runRequest`), and records the responses in
 * `public/baked/`, keyed by the request (`requestKeyOf`) and by the model folder's
 * manifest hash (`modelHash`). The deck shows a recorded result at once (marked
 * "recorded") when the hash matches the model it serves, and ignores it otherwise.
 *
 * - Demos whose model folder is absent are skipped (their old entries are kept).
 * - A model folder whose files no longer match its manifest.json is an error: a bake
 *   keyed by a wrong hash would be shown with weights that did not produce it.
 * - Entries of a baked model that are stale (other hash) or no longer a default
 *   request are dropped, and files no index entry names are deleted, so the folder
 *   holds exactly what the deck can use.
 * - `index.json` is always written, even when nothing was baked, so the deck never 404s.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import process from 'node:process'
import { bakedFileName } from '../components/demo/baked'
import { allDefaultRequests } from '../components/demo/catalog'
import { AttributionError } from '../engine/core/errors'
import { modelHash, sha256Hex } from '../engine/core/manifest'
import { requestKeyOf } from '../engine/core/request-key'
import { nodeFiles } from '../engine/node-files'
import { runRequest } from '../engine/run'
import { parseFlags } from './lib-args'

const USAGE = 'usage: npm run bake -- [--out public/baked] [--models public/models] [--llm distilgpt2] [--only <demo id,…>]'

/**
 * `modelHash` of a model folder after checking every file against its manifest; null
 * when the folder has no manifest.json.
 *
 * @example
 * await verifiedModelHash('public/models/bow') // "3f0c…"
 */
async function verifiedModelHash(dir: string): Promise<string | null> {
  const path = join(dir, 'manifest.json')
  if (!existsSync(path))
    return null
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as ModelManifest
  for (const [name, sha] of Object.entries(manifest.files)) {
    const file = join(dir, name)
    if (!existsSync(file) || await sha256Hex(readFileSync(file)) !== sha)
      throw new AttributionError('corrupt-model', `${file} does not match ${path} (missing or changed): rewrite the folder with the script that made it.`)
  }
  return modelHash(manifest)
}

async function main() {
  const flags = parseFlags(USAGE, {
    out: { type: 'string', default: 'public/baked' },
    models: { type: 'string', default: 'public/models' },
    llm: { type: 'string', default: 'distilgpt2' },
    only: { type: 'string', default: '' },
  })
  const out = resolve(flags.out)
  const modelsDir = resolve(flags.models)
  const llm = flags.llm
  const only = flags.only
  mkdirSync(out, { recursive: true })
  const indexPath = join(out, 'index.json')
  const old: BakedIndex = existsSync(indexPath) ? JSON.parse(readFileSync(indexPath, 'utf8')) as BakedIndex : { entries: {} }

  const hashes = new Map<string, string | null>()
  const hashOf = async (name: string) => {
    if (!hashes.has(name))
      hashes.set(name, await verifiedModelHash(join(modelsDir, name)))
    return hashes.get(name)!
  }

  const requests = allDefaultRequests({ bow: 'bow', llm })
  const current = new Set(requests.map(r => requestKeyOf(r.request)))
  // Keep an old entry unless its model is present here and it is stale or no longer a default.
  const index: BakedIndex = { entries: {} }
  for (const [key, entry] of Object.entries(old.entries ?? {})) {
    const model = (JSON.parse(key) as { model: string }).model
    const hash = await hashOf(model)
    if (hash && (hash !== entry.modelHash || !current.has(key)))
      console.log(`- dropped ${entry.id ?? key.slice(0, 60)}: ${hash !== entry.modelHash ? 'baked with other weights' : 'no longer a default request'}`)
    else
      index.entries[key] = entry
  }

  let baked = 0
  let skipped = 0
  for (const { id, request } of requests) {
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
    const file = await bakedFileName(key)
    writeFileSync(join(out, file), `${JSON.stringify(response)}\n`)
    index.entries[key] = { file, modelHash: hash, id }
    baked++
    console.log(`✓ ${id} (${request.method}) ${Math.round(performance.now() - t0)} ms`)
  }
  // Sorted keys: re-baking the same models gives the same index (a small diff).
  const sorted: BakedIndex = { entries: Object.fromEntries(Object.keys(index.entries).sort().map(k => [k, index.entries[k]!])) }
  writeFileSync(indexPath, `${JSON.stringify(sorted, null, 1)}\n`)
  const used = new Set(Object.values(sorted.entries).map(e => e.file))
  for (const name of readdirSync(out)) {
    if (/^[0-9a-f]{20}\.json$/.test(name) && !used.has(name))
      rmSync(join(out, name))
  }
  console.log(`\nbaked ${baked}, skipped ${skipped}, ${used.size} recorded in all → ${out}`)
}

main().catch((e) => {
  console.error(`bake failed: ${(e as Error).message}`)
  process.exit(1)
})
