import type { BakedIndex } from '../../../components/demo/baked'
import type { AttributionRequest, AttributionResponse, BowResponse } from '../../../engine/api'
import type { ModelManifest } from '../../../engine/core/manifest'
/**
 * Baked results (components/demo/baked.ts, scripts/bake.ts): the key/hash rule that
 * decides whether the deck may show a recorded response, and the committed
 * public/baked/ folder against the catalog, the model manifests and a fresh run.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { bakedEntry, bakedFileName, createBakedLookup } from '../../../components/demo/baked'
import { allDefaultRequests, DEMOS, requestFor } from '../../../components/demo/catalog'
import { modelHash } from '../../../engine/core/manifest'
import { requestKeyOf } from '../../../engine/core/request-key'
import { nodeFiles } from '../../../engine/node-files'
import { runRequest } from '../../../engine/run'

const repo = resolve(__dirname, '../../..')
const publicDir = join(repo, 'public')
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T
const bowManifest = readJson<ModelManifest>(join(publicDir, 'models/bow/manifest.json'))
const request: AttributionRequest = requestFor(DEMOS['bow-ig']!, { bow: 'bow', llm: 'distilgpt2' })

/** The deck's fetch, answered from the repo's public/ folder (what the dev server serves). */
function publicFetch(overrides: Record<string, unknown> = {}) {
  const urls: string[] = []
  const fetchJson = async <T>(url: string): Promise<T | null> => {
    urls.push(url)
    if (url in overrides)
      return overrides[url] as T | null
    const path = join(publicDir, url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/some\/base\//, '/'))
    return existsSync(path) ? readJson<T>(path) : null
  }
  return { fetchJson, urls }
}

describe('bakedEntry: a recorded result is used only with the weights that made it', () => {
  const hash = 'a'.repeat(64)
  const index: BakedIndex = { entries: { [requestKeyOf(request)]: { file: 'x.json', modelHash: hash } } }

  it('matches the same request, whatever the order of its keys', () => {
    const reordered = { target: request.target, input: request.input, options: request.options, method: request.method, model: request.model } as AttributionRequest
    expect(bakedEntry(index, reordered, hash)).toEqual({ file: 'x.json', modelHash: hash })
  })

  it('ignores a bake made with other weights, or when the served model has no manifest', () => {
    expect(bakedEntry(index, request, 'b'.repeat(64))).toBeNull()
    expect(bakedEntry(index, request, null)).toBeNull()
  })

  it('uses any bake of the request when the deck serves no folder for the model at all', () => {
    expect(bakedEntry(index, request, null, false)).toEqual({ file: 'x.json', modelHash: hash })
    expect(bakedEntry(index, { ...request, options: { nSteps: 49 } }, null, false)).toBeNull()
  })

  it('ignores a different request (options, text, model) and a missing index', () => {
    expect(bakedEntry(index, { ...request, options: { nSteps: 49 } }, hash)).toBeNull()
    expect(bakedEntry(index, { ...request, input: { type: 'text', text: 'I love it' } }, hash)).toBeNull()
    expect(bakedEntry(index, { ...request, model: 'bow-course' }, hash)).toBeNull()
    expect(bakedEntry(null, request, hash)).toBeNull()
    expect(bakedEntry({ entries: {} }, request, hash)).toBeNull()
  })

  it('names files by the sha256 of the request key (20 hex digits)', async () => {
    const name = await bakedFileName(requestKeyOf(request))
    expect(name).toMatch(/^[0-9a-f]{20}\.json$/)
    expect(await bakedFileName(requestKeyOf({ ...request, options: { nSteps: 49 } }))).not.toBe(name)
  })
})

describe('the committed public/baked/', () => {
  const index = readJson<BakedIndex>(join(publicDir, 'baked/index.json'))
  const entries = Object.entries(index.entries)

  it('has an index (the deck fetches it on every demo) with the BoW demos in it', () => {
    expect(index.entries).toBeTypeOf('object')
    const bowKeys = allDefaultRequests({ bow: 'bow', llm: 'distilgpt2' }).filter(r => r.request.model === 'bow').map(r => requestKeyOf(r.request))
    for (const key of bowKeys)
      expect(index.entries[key], `no bake for ${key}`).toBeDefined()
  })

  it('holds only current default requests, baked with the committed weights', async () => {
    const current = new Set(allDefaultRequests({ bow: 'bow', llm: 'distilgpt2' }).map(r => requestKeyOf(r.request)))
    const bowHash = await modelHash(bowManifest)
    for (const [key, entry] of entries) {
      expect(current.has(key), `not a default request: ${key}`).toBe(true)
      expect(existsSync(join(publicDir, 'baked', entry.file)), entry.file).toBe(true)
      expect(entry.file).toBe(await bakedFileName(key))
      const model = (JSON.parse(key) as AttributionRequest).model
      const manifest = join(publicDir, 'models', model, 'manifest.json')
      if (model === 'bow')
        expect(entry.modelHash).toBe(bowHash)
      else if (existsSync(manifest))
        expect(entry.modelHash).toBe(await modelHash(readJson<ModelManifest>(manifest)))
    }
  })

  it('equals a fresh run of the same request (the CLI code path)', async () => {
    const bowEntries = entries.filter(([key]) => (JSON.parse(key) as AttributionRequest).model === 'bow')
    expect(bowEntries.length).toBeGreaterThan(0)
    for (const [key, entry] of bowEntries) {
      const req = JSON.parse(key) as AttributionRequest
      const fresh = await runRequest(req, { locate: name => ({ name, files: nodeFiles(join(publicDir, 'models', name)), root: `${publicDir}/models/` }), offline: true }) as BowResponse
      const baked = readJson<BowResponse>(join(publicDir, 'baked', entry.file))
      expect(baked.words, entry.id).toEqual(fresh.words)
      expect(baked.target).toBe(fresh.target)
      baked.scores.forEach((s, i) => expect(Math.abs(s - fresh.scores[i]!), `${entry.id} ${baked.words[i]}`).toBeLessThanOrEqual(1e-9))
      baked.probabilities.forEach((p, i) => expect(Math.abs(p - fresh.probabilities[i]!)).toBeLessThanOrEqual(1e-9))
      for (const k of ['convergenceDelta', 'infidelity', 'sensitivityMax'] as const)
        expect(baked[k] ?? null, `${entry.id} ${k}`).toBe(fresh[k] ?? null)
    }
  })
})

describe('createBakedLookup: what the deck fetches', () => {
  const source = { bakedBaseUrl: '/some/base/baked/', modelsBaseUrl: 'http://127.0.0.1:4190/some/base/models/' }

  it('returns the recorded response when the served manifest matches', async () => {
    const { fetchJson, urls } = publicFetch()
    const find = createBakedLookup({ ...source, fetchJson })
    const got = await find(request) as BowResponse
    const entry = readJson<BakedIndex>(join(publicDir, 'baked/index.json')).entries[requestKeyOf(request)]!
    expect(got).toEqual(readJson<AttributionResponse>(join(publicDir, 'baked', entry.file)))
    expect(got.words.length).toBeGreaterThan(0)
    // Every URL under the base path; index and manifest fetched once for two lookups.
    await find(request)
    expect(urls.every(u => u.includes('/some/base/'))).toBe(true)
    expect(urls.filter(u => u.endsWith('index.json'))).toHaveLength(1)
    expect(urls.filter(u => u.endsWith('manifest.json'))).toHaveLength(1)
  })

  it('ignores the bake when the served weights changed (one file sha differs)', async () => {
    const changed: ModelManifest = { ...bowManifest, files: { ...bowManifest.files, 'weights.bin': '0'.repeat(64) } }
    const { fetchJson, urls } = publicFetch({ [`${source.modelsBaseUrl}bow/manifest.json`]: changed })
    expect(await createBakedLookup({ ...source, fetchJson })(request)).toBeNull()
    // …and never fetches the stale response.
    expect(urls.some(u => /baked\/[0-9a-f]{20}\.json$/.test(u))).toBe(false)
  })

  it('returns null without an index, without a manifest, and for a request never baked', async () => {
    expect(await createBakedLookup({ ...source, fetchJson: publicFetch({ [`${source.bakedBaseUrl}index.json`]: null }).fetchJson })(request)).toBeNull()
    expect(await createBakedLookup({ ...source, fetchJson: publicFetch({ [`${source.modelsBaseUrl}bow/manifest.json`]: null }).fetchJson })(request)).toBeNull()
    const { fetchJson, urls } = publicFetch()
    expect(await createBakedLookup({ ...source, fetchJson })({ ...request, input: { type: 'text', text: 'not a default' } })).toBeNull()
    expect(urls.some(u => u.endsWith('manifest.json'))).toBe(false)
  })

  it('shows the bake when no folder of the model is served (a static deck without it), not when a folder lacks its manifest', async () => {
    const entry = readJson<BakedIndex>(join(publicDir, 'baked/index.json')).entries[requestKeyOf(request)]!
    const recorded = readJson<AttributionResponse>(join(publicDir, 'baked', entry.file))
    const folder = `${source.modelsBaseUrl}bow/`
    const absent = publicFetch({ [`${folder}manifest.json`]: null, [`${folder}bow.json`]: null, [`${folder}config.json`]: null })
    expect(await createBakedLookup({ ...source, fetchJson: absent.fetchJson })(request)).toEqual(recorded)
    const unverifiable = publicFetch({ [`${folder}manifest.json`]: null })
    expect(await createBakedLookup({ ...source, fetchJson: unverifiable.fetchJson })(request)).toBeNull()
    expect(unverifiable.urls).toContain(`${folder}bow.json`)
  })
})
