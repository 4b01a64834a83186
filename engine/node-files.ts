import type { ModelFiles } from './core/files'
import { access, open, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { AttributionError } from './core/errors'

/**
 * Files of a model folder on disk (Node only: CLI, tests, bake, bench).
 *
 * @example
 * const files = nodeFiles('public/models/bow')
 */
export function nodeFiles(folder: string): ModelFiles {
  const root = resolve(folder)
  const path = (name: string) => join(root, name)
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(path(name))
    }
    catch {
      throw new AttributionError('missing-model', `Model file ${path(name)} is missing.`)
    }
  }
  return {
    location: `${root}/`,
    folderPath: root,
    async readHead(name, length) {
      let handle
      try {
        handle = await open(path(name), 'r')
      }
      catch {
        throw new AttributionError('missing-model', `Model file ${path(name)} is missing.`)
      }
      try {
        const size = (await handle.stat()).size
        const bytes = new Uint8Array(Math.min(length, size))
        await handle.read(bytes, 0, bytes.length, 0)
        return { bytes, size }
      }
      finally {
        await handle.close()
      }
    },
    async exists(name) {
      try {
        await access(path(name))
        return true
      }
      catch {
        return false
      }
    },
    async readBytes(name) {
      const buf = await read(name)
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
    },
    async readText(name) {
      return (await read(name)).toString('utf8')
    },
  }
}
