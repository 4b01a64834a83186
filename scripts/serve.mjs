#!/usr/bin/env node
// A tiny static server for the built deck: correct MIME types for .wasm/.mjs, an
// index.html fallback for the router's history mode, and an optional base path.
// Usage: node scripts/serve.mjs [dir=dist] [port=4173] [base=/]
// Every response is cross-origin isolated (COOP same-origin + COEP require-corp), so the
// deck may use SharedArrayBuffer and ONNX Runtime Web / tfjs-wasm run multi-threaded.
// COI=0 in the environment leaves the headers out (to measure or test the 1-thread fallback).
import { createReadStream, existsSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve } from 'node:path'

const [dir = 'dist', port = '4173', base = '/'] = process.argv.slice(2)
const root = resolve(dir)
const isolation = process.env.COI === '0'
  ? {}
  : { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' }
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (process.env.LOG_REQUESTS)
    console.log(req.method, url.pathname)
  let path = decodeURIComponent(url.pathname)
  if (!path.startsWith(base)) {
    res.writeHead(404).end('outside base path')
    return
  }
  path = `/${path.slice(base.length)}`
  let file = normalize(join(root, path))
  if (!file.startsWith(root)) {
    res.writeHead(403).end()
    return
  }
  if (existsSync(file) && statSync(file).isDirectory())
    file = join(file, 'index.html')
  if (!existsSync(file)) {
    // Model and data files must 404 for real: the deck tells a missing model from a present one.
    if (/\.(?:json|onnx|safetensors|bin|wasm|mjs|js|css|txt|png)$/.test(path)) {
      res.writeHead(404).end('not found')
      return
    }
    file = join(root, 'index.html')
  }
  const size = statSync(file).size
  res.writeHead(200, { ...isolation, 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': size, 'cache-control': 'no-cache' })
  if (req.method === 'HEAD')
    res.end()
  else
    createReadStream(file).pipe(res)
}).listen(Number(port), '127.0.0.1', () => {
  console.log(`serving ${root} at http://127.0.0.1:${port}${base}`)
})
