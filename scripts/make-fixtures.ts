/**
 * `npm run fixtures [-- --shape tiny|distil] [--out DIR]`: generates our own GPT-2 test
 * model (random seeded weights, the real GPT-2 tokenizer) in Hugging Face / Xenova layout.
 * tiny (default) → fixtures/tiny-gpt2 in a few seconds; distil (distilgpt2-shaped,
 * ~330 MB per ONNX file, for benchmarks only, never committed) → fixtures/distil-gpt2-shaped.
 */
import { resolve } from 'node:path'
import { writeGpt2Folder } from './fixtures/gpt2-folder'
import { DISTIL, TINY } from './fixtures/gpt2-weights'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i >= 0)
    return process.argv[i + 1]
  const eq = process.argv.find(a => a.startsWith(`--${name}=`))
  return eq?.slice(name.length + 3)
}

const shapeName = arg('shape') ?? 'tiny'
if (shapeName !== 'tiny' && shapeName !== 'distil') {
  console.error(`Unknown --shape ${shapeName} (tiny | distil).`)
  process.exit(1)
}
const shape = shapeName === 'tiny' ? TINY : DISTIL
const out = resolve(arg('out') ?? `fixtures/${shape.name}`)
const t0 = Date.now()
const files = await writeGpt2Folder(out, shape)
console.log(`Wrote ${files.length} files to ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
