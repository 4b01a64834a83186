import type { ModelManifest } from '../engine/core/manifest'
/**
 * npm run --silent import-bow -- <checkpoint.pt> --out <folder> [--stopwords <file>]
 *
 * Converts the course's PyTorch checkpoint into a BoW model folder (bow.json,
 * weights.bin, manifest.json) with the safe pickle reader: nothing in the file is executed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { sha256Hex } from '../engine/core/manifest'
import { importBowCheckpoint } from '../engine/models/bow-import'
import { markAvailable } from './lib-available.mjs'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    stopwords: { type: 'string', default: '../shared/data/sentiment/nltk_stopwords_english.txt' },
  },
})
if (positionals.length !== 1 || !values.out) {
  console.error('usage: npm run --silent import-bow -- <checkpoint.pt> --out <folder> [--stopwords <file>]')
  process.exit(2)
}
try {
  const ckptPath = resolve(positionals[0]!)
  const bytes = readFileSync(ckptPath)
  const stopwords = readFileSync(resolve(values.stopwords!), 'utf8').split(/\r?\n/).filter(w => w !== '')
  const files = importBowCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), stopwords, {
    checkpoint: basename(ckptPath),
    checkpointSha256: await sha256Hex(new Uint8Array(bytes)),
  })
  const out = resolve(values.out)
  mkdirSync(out, { recursive: true })
  const manifest: ModelManifest = { kind: 'bow', files: {}, source: `imported from ${basename(ckptPath)}` }
  for (const [name, data] of Object.entries(files)) {
    writeFileSync(join(out, name), data)
    manifest.files[name] = await sha256Hex(data)
  }
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  // A folder under public/models/ becomes selectable in the deck ("the course's model").
  if (dirname(out) === resolve('public/models'))
    markAvailable(dirname(out), basename(out))
  console.log(JSON.stringify({ out, files: Object.keys(manifest.files) }))
}
catch (e) {
  console.error(`import-bow: ${(e as Error).message}`)
  process.exit(1)
}
