#!/usr/bin/env node
// `npm run models`: fetch the real distilgpt2 into public/models/distilgpt2/ so the talk
// runs offline. It needs the internet once; afterwards the deck never leaves localhost.
//
// What it fetches (Hugging Face hub):
//   Xenova/distilgpt2         config, tokenizer files, onnx/decoder_model_merged.onnx (+ _quantized)
//   distilbert/distilgpt2     model.safetensors (the same weights, for the gradient demos in tfjs)
//
// Integrity: the first run resolves each repo's branch to a commit (the hub's
// `X-Repo-Commit` header) and takes each large file's sha256 from the hub's
// `X-Linked-Etag` header (the LFS object id, which *is* the sha256 of the content). It
// verifies every download against it and records repo commits + sha256 sums in
// `models.lock.json`. Later runs download that exact commit and verify against the lock.
// Small (non-LFS) files have no server-side sha256: their hash is recorded on first
// download and enforced afterwards.
//
// Partial downloads are resumed (`.part` files + HTTP Range).
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { DISTILGPT2_HUB_FILES, linkedEtagSha256 } from '../engine/models/hub-files.mjs'
import { markAvailable } from './lib-available.mjs'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..')
const outDir = join(root, 'public/models/distilgpt2')
const lockPath = join(root, 'models.lock.json')
const HUB = process.env.HF_ENDPOINT ?? 'https://huggingface.co'

// The file list is the deck's own (engine/models/hub-files.mjs), grouped by repo here.
const REPOS = {}
for (const file of DISTILGPT2_HUB_FILES) {
  REPOS[file.repo] ??= { revision: 'main', files: [] }
  REPOS[file.repo].files.push(file)
}

const lock = existsSync(lockPath) ? JSON.parse(readFileSync(lockPath, 'utf8')) : { repos: {}, files: {} }

function sha256File(path) {
  return new Promise((res, rej) => {
    const h = createHash('sha256')
    createReadStream(path).on('data', d => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej)
  })
}

function human(n) {
  return n > 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`
}

async function download(repo, revision, file) {
  const url = `${HUB}/${repo}/resolve/${revision}/${file.path}`
  const target = join(outDir, file.path)
  const part = `${target}.part`
  const locked = lock.files[file.path]
  mkdirSync(dirname(target), { recursive: true })

  if (existsSync(target) && locked && (await sha256File(target)) === locked.sha256) {
    console.log(`  ✓ ${file.path} (already here, sha256 verified)`)
    return { sha256: locked.sha256, commit: null }
  }

  const start = existsSync(part) ? statSync(part).size : 0
  let res
  try {
    res = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, redirect: 'follow' })
  }
  catch (e) {
    throw new Error(`cannot reach ${HUB} (${e.cause?.code ?? e.message}). You are probably offline: run \`npm run models\` on a machine with internet, then copy public/models/distilgpt2/ here.`)
  }
  if (res.status === 404 && !file.required) {
    console.log(`  - ${file.path} (not in ${repo}@${revision}; optional)`)
    return null
  }
  if (!res.ok && res.status !== 206)
    throw new Error(`${url}: HTTP ${res.status}`)
  // The first response (before the redirect to the CDN) carries the LFS sha256 and the
  // commit; fetch follows redirects, so ask with HEAD (no redirect) for those headers.
  const head = await fetch(url, { method: 'HEAD', redirect: 'manual' })
  const commit = head.headers.get('x-repo-commit')
  const serverSha = linkedEtagSha256(head.headers.get('x-linked-etag'))
  const total = Number(res.headers.get('content-length') ?? 0) + (res.status === 206 ? start : 0)

  const out = createWriteStream(part, { flags: res.status === 206 ? 'a' : 'w' })
  let loaded = res.status === 206 ? start : 0
  let lastPrint = 0
  for await (const chunk of res.body) {
    out.write(chunk)
    loaded += chunk.length
    if (Date.now() - lastPrint > 1000) {
      lastPrint = Date.now()
      process.stdout.write(`\r  … ${file.path} ${human(loaded)}${total ? ` / ${human(total)} (${Math.round(100 * loaded / total)}%)` : ''}   `)
    }
  }
  await new Promise(r => out.end(r))
  process.stdout.write('\r')

  const sha = await sha256File(part)
  const expected = locked?.sha256 ?? serverSha
  if (expected && sha !== expected) {
    rmSync(part)
    throw new Error(`${file.path}: sha256 ${sha} does not match ${expected} (${locked ? 'models.lock.json' : 'the hub\'s X-Linked-Etag'}). The partial file was removed; run again.`)
  }
  renameSync(part, target)
  console.log(`  ✓ ${file.path} ${human(loaded)} sha256 ${sha.slice(0, 16)}… ${expected ? 'verified' : 'recorded (no server hash for small files)'}`)
  return { sha256: sha, commit, verifiedBy: locked ? 'lock' : serverSha ? 'x-linked-etag' : 'first-download' }
}

async function main() {
  mkdirSync(outDir, { recursive: true })
  const manifest = { kind: 'gpt2', files: {}, source: '' }
  const sources = []
  for (const [repo, spec] of Object.entries(REPOS)) {
    const revision = lock.repos[repo]?.commit ?? spec.revision
    console.log(`${repo}@${revision}`)
    let commit = lock.repos[repo]?.commit ?? null
    for (const file of spec.files) {
      const got = await download(repo, revision, file)
      if (!got)
        continue
      commit ??= got.commit
      lock.files[file.path] = { repo, sha256: got.sha256, verifiedBy: got.verifiedBy ?? lock.files[file.path]?.verifiedBy }
      manifest.files[file.path] = got.sha256
    }
    lock.repos[repo] = { commit: commit ?? revision }
    sources.push(`${repo}@${commit ?? revision}`)
  }
  manifest.source = sources.join(', ')
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  markAvailable(join(root, 'public/models'), 'distilgpt2')
  console.log(`\nDone: ${outDir}\nLock written to models.lock.json (commit it to pin these exact files).`)
}

main().catch((e) => {
  console.error(`\nnpm run models failed: ${e.message}`)
  process.exit(1)
})
