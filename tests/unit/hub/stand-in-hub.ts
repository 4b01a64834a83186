import type { AddressInfo } from 'node:net'
/**
 * A local stand-in for the Hugging Face hub on 127.0.0.1: `/<repo>/resolve/<revision>/<path>`
 * with Content-Length, X-Repo-Commit and, for large (LFS) files, X-Linked-Etag = sha256,
 * like the real hub. It also serves a deck's `/models/` folder with the static server's
 * SPA fallback (HTML, 200) for unknown paths, and it can misbehave on purpose.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { HUB_MODELS } from '../../../engine/models/hub-config'

export type Fault
  /** Announce the full Content-Length, send half the body, then drop the connection. */
  = | 'cut'
  /** Send half the body with a matching Content-Length (only the sha256 can tell). */
    | 'short'
  /** The full body, but X-Linked-Etag announces another sha256. */
    | 'bad-sha'

export interface StandInHub {
  url: string
  /** Every request: method and path. */
  requests: Array<{ method: string, path: string }>
  /** Faults for the next GETs of a file path (consumed one per GET). */
  faults: Map<string, Fault[]>
  /** GETs of `/<repo>/resolve/…/<path>` so far. */
  gets: (path: string) => number
  close: () => Promise<void>
}

/** The commit the stand-in reports (40 hex digits, like a git sha1). */
export const STAND_IN_COMMIT = createHash('sha1').update('stand-in').digest('hex')
/** Files at least this big get an X-Linked-Etag, like LFS files on the hub. */
const LFS_MIN = 100_000

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The hub files of distilgpt2, taken from a model folder in hub layout (our tiny fixture). */
export function hubFilesFromFolder(dir: string): Record<string, Record<string, Uint8Array>> {
  const out: Record<string, Record<string, Uint8Array>> = {}
  for (const f of HUB_MODELS.distilgpt2.files) {
    const p = join(dir, f.path)
    if (existsSync(p)) {
      out[f.repo] ??= {}
      out[f.repo][f.path] = new Uint8Array(readFileSync(p))
    }
  }
  return out
}

/**
 * Starts the stand-in. `repos` maps repo → path → bytes; `models` maps a deck folder
 * name → path → bytes (served under /models/<name>/); port 0 picks a free one.
 */
export async function startStandInHub(repos: Record<string, Record<string, Uint8Array>>, models: Record<string, Record<string, Uint8Array>> = {}, port = 0): Promise<StandInHub> {
  const requests: StandInHub['requests'] = []
  const faults = new Map<string, Fault[]>()
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = decodeURIComponent(url.pathname)
    requests.push({ method: req.method ?? 'GET', path })
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-expose-headers', 'content-length, x-linked-etag, x-repo-commit, etag')
    const m = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(path)
    if (m) {
      const [, repo, file] = m
      const body = repos[repo]?.[file]
      if (!body) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found')
        return
      }
      const fault = req.method === 'GET' ? faults.get(file)?.shift() : undefined
      const headers: Record<string, string> = {
        'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        'x-repo-commit': STAND_IN_COMMIT,
      }
      if (body.length >= LFS_MIN)
        headers['x-linked-etag'] = `"${fault === 'bad-sha' ? sha256(new TextEncoder().encode('something else')) : sha256(body)}"`
      const half = body.subarray(0, Math.floor(body.length / 2))
      headers['content-length'] = String(fault === 'short' ? half.length : body.length)
      res.writeHead(200, headers)
      if (req.method === 'HEAD') {
        res.end()
      }
      else if (fault === 'cut') {
        res.write(half, () => res.destroy())
      }
      else {
        res.end(fault === 'short' ? half : body)
      }
      return
    }
    const local = /^\/models\/([^/]+)\/(.+)$/.exec(path)
    const body = local ? models[local[1]]?.[local[2]] : undefined
    if (body) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) })
      res.end(req.method === 'HEAD' ? undefined : body)
      return
    }
    // The deck's static server answers unknown paths with index.html (SPA fallback).
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : '<!doctype html><title>deck</title>')
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${bound}`,
    requests,
    faults,
    gets: path => requests.filter(r => r.method === 'GET' && r.path.includes('/resolve/') && r.path.endsWith(`/${path}`)).length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
