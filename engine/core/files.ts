import { AttributionError } from './errors'

/**
 * Where a model's files come from. Node reads a folder; the browser fetches a URL
 * prefix. Model adapters read through this so they run unchanged in both.
 */
export interface ModelFiles {
  /** A human-readable location, used in error messages ("public/models/bow/"). */
  readonly location: string
  exists: (name: string) => Promise<boolean>
  readBytes: (name: string) => Promise<Uint8Array>
  readText: (name: string) => Promise<string>
  /**
   * Node folders only: the folder's path on disk (ONNX Runtime then reads a graph's
   * external weights from it itself), and a ranged read with the file's size (a header
   * without the whole file).
   */
  readonly folderPath?: string
  readHead?: (name: string, length: number) => Promise<{ bytes: Uint8Array, size: number }>
}

/** Reads `name` as JSON, turning a parse failure into a clear `corrupt-model` error. */
export async function readJson<T = unknown>(files: ModelFiles, name: string): Promise<T> {
  const text = await files.readText(name)
  try {
    return JSON.parse(text) as T
  }
  catch {
    throw new AttributionError('corrupt-model', `${files.location}${name} is not valid JSON (truncated download?).`)
  }
}

/**
 * Files fetched over HTTP from a base URL (the browser, or Node ≥ 18 against a server).
 *
 * @example
 * const files = httpFiles('/models/bow/')
 * const vocab = await readJson(files, 'vocab.json')
 */
export function httpFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`
  const get = async (name: string): Promise<Response> => {
    let res: Response
    try {
      res = await fetchImpl(base + name)
    }
    catch (e) {
      throw new AttributionError('missing-model', `Could not fetch ${base}${name}: ${(e as Error).message}`)
    }
    if (!res.ok)
      throw new AttributionError('missing-model', `Model file ${base}${name} is missing (HTTP ${res.status}).`)
    return res
  }
  return {
    location: base,
    async exists(name) {
      try {
        const res = await fetchImpl(base + name, { method: 'HEAD' })
        // A single-page-app fallback answers 200 with index.html for any path: reject HTML.
        return res.ok && !(res.headers.get('content-type') ?? '').includes('text/html')
      }
      catch {
        return false
      }
    },
    async readBytes(name) {
      return new Uint8Array(await (await get(name)).arrayBuffer())
    },
    async readText(name) {
      return (await get(name)).text()
    },
  }
}
