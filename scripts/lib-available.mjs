// Adds a model folder name to <models>/available.json (the deck's list of optional models).
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function markAvailable(modelsDir, name) {
  const path = join(modelsDir, 'available.json')
  const list = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : []
  if (!list.includes(name)) {
    list.push(name)
    writeFileSync(path, `${JSON.stringify(list)}\n`)
  }
}
