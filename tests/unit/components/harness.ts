import type { Component } from 'vue'
/**
 * A small, real host for mounting our `.vue` components in Vitest without a browser and
 * without @vue/test-utils (not installed): the SFC is compiled with Vue's own
 * `@vue/compiler-sfc` (as the Slidev/Vite plugin does), transpiled with TypeScript, and
 * mounted with Vue's `createRenderer` on an in-memory element tree. Event handlers and
 * `v-model` listeners are the component's own, so clicks and typing exercise real code.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import * as vue from 'vue'
import { compileScript, parse } from 'vue/compiler-sfc'

export const componentsDir = path.resolve(__dirname, '../../../components')

type Listener = (event: unknown) => void

/** An element, text or comment node of the in-memory tree. */
export class HostNode {
  parent: HostNode | null = null
  children: HostNode[] = []
  props: Record<string, unknown> = {}
  listeners: Record<string, Listener[]> = {}
  /** `.value` of form fields, as v-model reads and writes it. */
  value = ''
  constructor(public kind: 'element' | 'text' | 'comment', public tag = '', public text = '') {}
  addEventListener(type: string, fn: Listener) {
    (this.listeners[type] ??= []).push(fn)
  }

  removeEventListener(type: string, fn: Listener) {
    this.listeners[type] = (this.listeners[type] ?? []).filter(f => f !== fn)
  }

  attr(name: string): unknown {
    return this.props[name]
  }

  get textContent(): string {
    if (this.kind === 'text')
      return this.text
    if (this.kind === 'comment')
      return ''
    return this.children.map(c => c.textContent).join('')
  }

  /** All descendant elements (depth first) matching `pred`. */
  findAll(pred: (n: HostNode) => boolean): HostNode[] {
    const out: HostNode[] = []
    const walk = (n: HostNode) => {
      for (const c of n.children) {
        if (c.kind === 'element' && pred(c))
          out.push(c)
        walk(c)
      }
    }
    walk(this)
    return out
  }

  byTestId(id: string): HostNode {
    const found = this.findAll(n => n.props['data-testid'] === id)
    if (found.length !== 1)
      throw new Error(`expected one [data-testid="${id}"], found ${found.length}`)
    return found[0]!
  }

  byTag(tag: string): HostNode[] {
    return this.findAll(n => n.tag === tag)
  }

  /** Fires a DOM-style event: the `on<Event>` prop handler(s) and added listeners. */
  trigger(type: string, init: Record<string, unknown> = {}) {
    const event = { type, target: this, preventDefault() {}, stopPropagation() {}, ...init }
    const prop = this.props[`on${type[0]!.toUpperCase()}${type.slice(1)}`]
    const handlers = Array.isArray(prop) ? prop : prop ? [prop] : []
    for (const h of handlers)
      (h as Listener)(event)
    for (const l of this.listeners[type] ?? [])
      l(event)
  }

  /** Types into a textarea/input: sets `.value` and fires `input` like a browser. */
  setValue(v: string) {
    this.value = v
    this.trigger('input')
  }
}

const renderer = vue.createRenderer<HostNode, HostNode>({
  createElement: tag => new HostNode('element', tag),
  createText: text => new HostNode('text', '', text),
  createComment: text => new HostNode('comment', '', text),
  setText: (node, text) => {
    node.text = text
  },
  setElementText: (el, text) => {
    for (const c of el.children)
      c.parent = null
    el.children = text ? [Object.assign(new HostNode('text', '', text), { parent: el })] : []
  },
  insert: (child, parent, anchor) => {
    if (child.parent)
      child.parent.children.splice(child.parent.children.indexOf(child), 1)
    const i = anchor ? parent.children.indexOf(anchor) : -1
    if (i >= 0)
      parent.children.splice(i, 0, child)
    else
      parent.children.push(child)
    child.parent = parent
  },
  remove: (child) => {
    if (child.parent)
      child.parent.children.splice(child.parent.children.indexOf(child), 1)
    child.parent = null
  },
  parentNode: node => node.parent,
  nextSibling: (node) => {
    const sibs = node.parent?.children ?? []
    return sibs[sibs.indexOf(node) + 1] ?? null
  },
  patchProp: (el, key, _prev, next) => {
    if (key === 'value')
      el.value = next == null ? '' : String(next)
    if (next == null || next === false)
      delete el.props[key]
    else
      el.props[key] = next
  },
  insertStaticContent: () => {
    throw new Error('static content hoisting is not supported by the test host')
  },
})

/**
 * Compiles a component of `components/` and resolves its relative imports to the real
 * modules (loaded through Vitest, so `.ts` helpers run as in the app).
 */
export async function loadComponent(file: string): Promise<Component> {
  const filename = path.join(componentsDir, file)
  const { descriptor, errors } = parse(readFileSync(filename, 'utf8'), { filename })
  if (errors.length)
    throw errors[0]
  const script = compileScript(descriptor, { id: file, inlineTemplate: true })
  const js = ts.transpileModule(script.content, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText
  const modules: Record<string, unknown> = { vue }
  for (const [, spec] of js.matchAll(/require\("([^"]+)"\)/g)) {
    if (spec !== 'vue')
      modules[spec!] = await import(/* @vite-ignore */ path.resolve(componentsDir, `${spec}.ts`))
  }
  const mod = { exports: {} as Record<string, unknown> }
  const require = (id: string) => {
    if (!(id in modules))
      throw new Error(`unexpected import ${id} in ${file}`)
    return modules[id]
  }
  // eslint-disable-next-line no-new-func
  new Function('require', 'exports', 'module', js)(require, mod.exports, mod)
  return mod.exports.default as Component
}

/**
 * Mounts `comp` with reactive `props` (change them to re-render) on a fresh root.
 *
 * @example
 * const { root, props } = mount(TokenHeatmap, { inputTokens: ['a'], outputTokens: ['b'], values: [[1]] })
 */
export function mount<P extends Record<string, unknown>>(comp: Component, initial: P) {
  const props = vue.reactive({ ...initial }) as P
  const root = new HostNode('element', 'root')
  const app = renderer.createApp({ render: () => vue.h(comp, props) })
  app.config.warnHandler = (msg) => {
    throw new Error(`Vue warning: ${msg}`)
  }
  app.mount(root)
  return { root, props, unmount: () => app.unmount() }
}

/** Lets Vue flush pending updates and watchers. */
export const flush = () => vue.nextTick()
