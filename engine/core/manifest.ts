/**
 * `manifest.json` in every model folder lists its files with their sha256. Whoever
 * writes a folder (train-bow, import-bow, make-fixtures, `npm run models`) writes it.
 * The bake cache keys results by `modelHash(manifest)`, so a recorded result is used
 * only with the exact weights that produced it.
 */
export interface ModelManifest {
  /** e.g. 'bow', 'gpt2' */
  kind: string
  /** file name (relative to the folder) → sha256 hex */
  files: Record<string, string>
  /** Where the files came from, in words (hub repo@revision, training run, fixture seed). */
  source?: string
}

/** sha256 hex of bytes, with the Web Crypto API (Node ≥ 20 and browsers). */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)
  return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('')
}

/**
 * One hash for a whole model folder: sha256 of its sorted "name sha256" lines.
 *
 * @example
 * await modelHash({ kind: 'bow', files: { 'weights.bin': 'ab…' } })
 */
export async function modelHash(manifest: ModelManifest): Promise<string> {
  const lines = Object.keys(manifest.files).sort().map(name => `${name} ${manifest.files[name]}\n`).join('')
  return sha256Hex(lines)
}
