/**
 * `npm run fixtures [-- --shape tiny|distil] [--out DIR]`: generates our own GPT-2 test
 * model (random seeded weights, the real GPT-2 tokenizer) in Hugging Face / Xenova layout.
 * tiny (default) → fixtures/tiny-gpt2 in a few seconds; distil (distilgpt2-shaped,
 * ~330 MB per ONNX file, for benchmarks only, never committed) → fixtures/distil-gpt2-shaped.
 */
import { resolve } from 'node:path'
import { writeGpt2Folder } from './fixtures/gpt2-folder'
import { DISTIL, TINY } from './fixtures/gpt2-weights'
import { parseFlags, usageError } from './lib-args'

const USAGE = 'usage: npm run fixtures -- [--shape tiny|distil] [--out DIR]'
const flags = parseFlags(USAGE, { shape: { type: 'string', default: 'tiny' }, out: { type: 'string' } })
const shapeName = flags.shape
if (shapeName !== 'tiny' && shapeName !== 'distil')
  usageError(USAGE, `unknown --shape ${shapeName} (tiny | distil)`)
const shape = shapeName === 'tiny' ? TINY : DISTIL
const out = resolve(flags.out ?? `fixtures/${shape.name}`)
const t0 = Date.now()
const files = await writeGpt2Folder(out, shape)
console.log(`Wrote ${files.length} files to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
