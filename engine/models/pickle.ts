/* eslint-disable style/max-statements-per-line -- one opcode per line keeps the opcode table auditable */
/**
 * A minimal, safe Python pickle reader (protocols 0–2 binary opcodes plus the few
 * protocol-3/4 ones PyTorch may emit). It never executes code: GLOBAL only resolves
 * names from a caller-given whitelist, REDUCE/BUILD only call those whitelisted JS
 * functions, and every unknown opcode or global is rejected with a clear error.
 * That is what makes it safe to open a `.pt` file downloaded from anywhere.
 */
import { AttributionError } from '../core/errors'

/** A Python value as this reader returns it: dict → Map, list/tuple → array. */
export type PyValue = unknown

/** A whitelisted Python callable (`module name` → JS implementation). */
export type PyCallable = (...args: PyValue[]) => PyValue

export interface UnpickleOptions {
  /** Whitelisted globals, keyed `"module name"` (e.g. `"collections OrderedDict"`). */
  globals: Record<string, PyCallable>
  /** BINPERSID / PERSID handler (PyTorch uses it for tensor storages). */
  persistentLoad?: (pid: PyValue) => PyValue
}

/** Marker pushed by MARK. */
const MARK = Symbol('mark')

/** A resolved whitelisted global (`name` = "module name") sitting on the stack until REDUCE calls it. */
export class PyGlobal {
  constructor(readonly name: string, readonly fn: PyCallable) {}
}

function fail(message: string): never {
  throw new AttributionError('corrupt-model', message)
}

/**
 * Unpickles `bytes` using only the whitelisted globals.
 *
 * @example
 * const obj = unpickle(bytes, { globals: { 'collections OrderedDict': () => new Map() } })
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const utf8 = new TextDecoder('utf-8')
  const latin1 = new TextDecoder('latin1')
  let pos = 0
  const stack: PyValue[] = []
  const memo = new Map<number, PyValue>()

  const need = (n: number) => {
    if (pos + n > bytes.length)
      fail(`Pickle is truncated at byte ${pos}.`)
  }
  const u8 = () => { need(1); return bytes[pos++]! }
  const u16 = () => { need(2); const v = view.getUint16(pos, true); pos += 2; return v }
  const u32 = () => { need(4); const v = view.getUint32(pos, true); pos += 4; return v }
  const i32 = () => { need(4); const v = view.getInt32(pos, true); pos += 4; return v }
  const take = (n: number) => { need(n); const s = bytes.subarray(pos, pos + n); pos += n; return s }
  const readLine = () => {
    const end = bytes.indexOf(0x0A, pos)
    if (end < 0)
      fail('Pickle line opcode without newline.')
    const s = latin1.decode(bytes.subarray(pos, end))
    pos = end + 1
    return s
  }
  const pop = () => {
    if (stack.length === 0)
      fail('Pickle stack underflow.')
    return stack.pop()
  }
  const top = () => stack[stack.length - 1]
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK)
    if (i < 0)
      fail('Pickle MARK missing.')
    const items = stack.splice(i)
    items.shift()
    return items
  }
  const resolveGlobal = (module: string, name: string): PyGlobal => {
    const key = `${module} ${name}`
    const fn = options.globals[key]
    if (!fn)
      fail(`Refusing to load pickle: global ${module}.${name} is not on the whitelist (a pickle can run arbitrary code).`)
    return new PyGlobal(key, fn)
  }
  const setItem = (d: PyValue, k: PyValue, v: PyValue) => {
    if (!(d instanceof Map))
      fail('Pickle SETITEM on a non-dict.')
    d.set(k, v)
  }

  while (true) {
    const at = pos
    const op = u8()
    switch (op) {
      case 0x80: u8(); break // PROTO
      case 0x2E: return pop() // STOP
      case 0x28: stack.push(MARK); break // MARK
      case 0x7D: stack.push(new Map()); break // EMPTY_DICT
      case 0x5D: stack.push([]); break // EMPTY_LIST
      case 0x29: stack.push([]); break // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break // TUPLE
      case 0x85: stack.push([pop()]); break // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break } // TUPLE3
      case 0x6C: stack.push(popMark()); break // LIST
      case 0x64: { // DICT
        const items = popMark()
        const d = new Map()
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1])
        stack.push(d)
        break
      }
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l))
        fail('Pickle APPEND on a non-list.'); l.push(v); break } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l))
        fail('Pickle APPENDS on a non-list.'); l.push(...items); break } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark()
        const d = top()
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1])
        break
      }
      case 0x71: memo.set(u8(), top()); break // BINPUT
      case 0x72: memo.set(u32(), top()); break // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break // MEMOIZE (protocol 4)
      case 0x68: case 0x6A: { // BINGET, LONG_BINGET
        const k = op === 0x68 ? u8() : u32()
        if (!memo.has(k))
          fail(`Pickle memo ${k} is missing.`)
        stack.push(memo.get(k))
        break
      }
      case 0x4A: stack.push(i32()); break // BININT
      case 0x4B: stack.push(u8()); break // BININT1
      case 0x4D: stack.push(u16()); break // BININT2
      case 0x8A: { // LONG1: little-endian two's complement
        const n = u8()
        const b = take(n)
        let v = 0n
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!)
        if (n > 0 && (b[n - 1]! & 0x80))
          v -= 1n << BigInt(8 * n)
        stack.push(Number(v))
        break
      }
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break } // BINFLOAT (big-endian)
      case 0x58: { const n = u32(); stack.push(utf8.decode(take(n))); break } // BINUNICODE
      case 0x8C: { const n = u8(); stack.push(utf8.decode(take(n))); break } // SHORT_BINUNICODE
      case 0x54: { const n = u32(); stack.push(latin1.decode(take(n))); break } // BINSTRING
      case 0x55: { const n = u8(); stack.push(latin1.decode(take(n))); break } // SHORT_BINSTRING
      case 0x42: { const n = u32(); stack.push(take(n).slice()); break } // BINBYTES
      case 0x43: { const n = u8(); stack.push(take(n).slice()); break } // SHORT_BINBYTES
      case 0x4E: stack.push(null); break // NONE
      case 0x88: stack.push(true); break // NEWTRUE
      case 0x89: stack.push(false); break // NEWFALSE
      case 0x63: { // GLOBAL "module\nname\n"
        const module = readLine()
        const name = readLine()
        stack.push(resolveGlobal(module, name))
        break
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('Pickle STACK_GLOBAL needs two strings.')
        stack.push(resolveGlobal(module, name))
        break
      }
      case 0x52: { // REDUCE
        const args = pop()
        const callable = pop()
        if (!(callable instanceof PyGlobal))
          fail('Pickle REDUCE on something that is not a whitelisted global.')
        if (!Array.isArray(args))
          fail('Pickle REDUCE arguments are not a tuple.')
        stack.push(callable.fn(...args))
        break
      }
      case 0x62: { // BUILD: state is attached, never executed (e.g. an OrderedDict's _metadata)
        const state = pop()
        const obj = top()
        if (obj !== null && typeof obj === 'object')
          Object.defineProperty(obj, '__state__', { value: state, enumerable: false, configurable: true })
        break
      }
      case 0x51: { // BINPERSID
        const pid = pop()
        if (!options.persistentLoad)
          fail('Pickle uses persistent ids but no loader was given.')
        stack.push(options.persistentLoad(pid))
        break
      }
      default:
        fail(`Refusing to load pickle: opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}') at byte ${at} is not supported by the safe reader.`)
    }
  }
}
