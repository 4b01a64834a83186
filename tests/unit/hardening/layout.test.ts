/**
 * The house rules of the layout, checked on every source file's imports (static and
 * dynamic), so that a stray import fails a test instead of waiting for a review:
 *  - only engine/models/ imports transformers.js, onnxruntime or tfjs, or their assets;
 *  - components/ never reach into engine/models/ or the model files;
 *  - engine/models/ depends only on engine/core/ and engine/inputs/ (Node's node-files.ts
 *    is the one dynamic exception: a Node caller that passes no ModelFiles);
 *  - engine/core/, inputs/, methods/ and metrics/ hold no Node-only import.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../shared-reference'

const RUNTIME = /^(?:onnxruntime-(?:web|node|common)|@tensorflow\/|@huggingface\/)/

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter(e => e.isFile() && /\.(?:ts|vue|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map(e => relative(REPO_ROOT, join(e.parentPath, e.name)))
}

/** Every module specifier a file imports: `from '…'`, `import '…'` and `import('…')`. */
function importsOf(file: string): Array<{ spec: string, dynamic: boolean }> {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  const found: Array<{ spec: string, dynamic: boolean }> = []
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|^\s*import\s+'([^']+)'/gm))
    found.push({ spec: (m[1] ?? m[2])!, dynamic: false })
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g))
    found.push({ spec: m[1]!, dynamic: true })
  return found
}

const resolvedFrom = (file: string, spec: string) => spec.startsWith('.') ? relative(REPO_ROOT, join(REPO_ROOT, file, '..', spec)) : spec

function violations(dirs: string[], bad: (file: string, target: string, dynamic: boolean) => boolean): string[] {
  return dirs.flatMap(dir => sources(dir)).flatMap(file =>
    importsOf(file).filter(i => bad(file, resolvedFrom(file, i.spec), i.dynamic)).map(i => `${file} imports ${i.spec}`))
}

describe('the layout', () => {
  it('finds the imports it checks (the scanner itself works)', () => {
    expect(importsOf('engine/models/wasm-assets.ts').map(i => i.spec)).toContain('onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url')
    expect(importsOf('engine/models/causal-lm.ts')).toContainEqual({ spec: '../node-files', dynamic: true })
    expect(sources('components').length).toBeGreaterThan(10)
  })

  it('only engine/models/ imports a runtime or a runtime\'s asset', () => {
    expect(violations(['engine', 'components', 'layouts', 'bench', 'scripts'], (file, target) =>
      RUNTIME.test(target) && !file.startsWith('engine/models/'))).toEqual([])
  })

  it('components never import engine/models/ or the model files', () => {
    expect(violations(['components', 'layouts'], (_file, target) =>
      target.startsWith('engine/models/') || target === 'engine/core/files' || target.startsWith('engine/node-'))).toEqual([])
  })

  it('engine/models/ depends only on engine/core/ and engine/inputs/', () => {
    expect(violations(['engine/models'], (_file, target, dynamic) =>
      target.startsWith('engine/')
      && !/^engine\/(?:core|inputs|models)\//.test(target)
      && !(dynamic && target === 'engine/node-files'))).toEqual([])
  })

  it('the shared engine folders hold no Node-only import', () => {
    expect(violations(['engine/core', 'engine/inputs', 'engine/methods', 'engine/metrics'], (_file, target) =>
      target.startsWith('node:'))).toEqual([])
  })
})
