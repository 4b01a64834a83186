import type { ModelFiles } from '../../../engine/core/files'
import { describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { parseSafetensors, readSafetensors, writeSafetensors } from '../../../engine/models/safetensors'

/** Builds a safetensors file by hand (raw little-endian bytes per tensor). */
function rawFile(entries: Array<{ name: string, dtype: string, shape: number[], bytes: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } }
  let off = 0
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] }
    off += e.bytes.length
  }
  const head = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + head.length + off)
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true)
  out.set(head, 8)
  let at = 8 + head.length
  for (const e of entries) {
    out.set(e.bytes, at)
    at += e.bytes.length
  }
  return out
}

function u16le(values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2)
  const dv = new DataView(b.buffer)
  values.forEach((v, i) => dv.setUint16(2 * i, v, true))
  return b
}

function expectCode(f: () => unknown, code: string, re?: RegExp) {
  try {
    f()
  }
  catch (e) {
    expect(e).toBeInstanceOf(AttributionError)
    expect((e as AttributionError).code).toBe(code)
    if (re)
      expect((e as Error).message).toMatch(re)
    return
  }
  throw new Error('expected an AttributionError')
}

describe('safetensors', () => {
  it('round-trips float32 tensors written by writeSafetensors, with metadata and 8-byte aligned data', () => {
    const a = Float32Array.from([1.5, -2.25, 3e-8, 65504, -0, 7])
    const b = Float32Array.from([0.1, 0.2, 0.3])
    const bytes = writeSafetensors({ 'x.weight': { shape: [2, 3], data: a }, 'x.bias': { shape: [3], data: b } }, { format: 'pt' })
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect((8 + headerLen) % 8).toBe(0)
    const { tensors, metadata } = parseSafetensors(bytes)
    expect(metadata).toEqual({ format: 'pt' })
    expect(tensors.get('x.weight')!.shape).toEqual([2, 3])
    expect(Array.from(tensors.get('x.weight')!.data)).toEqual(Array.from(a))
    expect(Array.from(tensors.get('x.bias')!.data)).toEqual(Array.from(b))
  })

  it('reads a tensor that is not 4-byte aligned inside the buffer', () => {
    const bytes = writeSafetensors({ w: { shape: [2], data: Float32Array.from([3.5, -1]) } })
    const shifted = new Uint8Array(bytes.length + 1)
    shifted.set(bytes, 1)
    expect(Array.from(parseSafetensors(shifted.subarray(1)).tensors.get('w')!.data)).toEqual([3.5, -1])
  })

  it('decodes F16 (normal, subnormal, ±0, inf) and BF16 exactly', () => {
    // f16: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001, -0 = 0x8000, +inf = 0x7C00, 0.333251953125 = 0x3555
    const f16 = u16le([0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555])
    // bf16 is the top half of float32: 1.0 = 0x3F80, -3.0 = 0xC040, 0.15625 = 0x3E20
    const bf16 = u16le([0x3F80, 0xC040, 0x3E20])
    const { tensors } = parseSafetensors(rawFile([
      { name: 'h', dtype: 'F16', shape: [7], bytes: f16 },
      { name: 'b', dtype: 'BF16', shape: [3], bytes: bf16 },
    ]))
    const h = Array.from(tensors.get('h')!.data)
    expect(h.slice(0, 4)).toEqual([1, -2, 65504, 2 ** -24])
    expect(Object.is(h[4], -0)).toBe(true)
    expect(h[5]).toBe(Infinity)
    expect(h[6]).toBe(0.333251953125)
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -3, 0.15625])
  })

  it('refuses truncated or malformed files with corrupt-model', () => {
    const bytes = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } })
    expectCode(() => parseSafetensors(bytes.subarray(0, 5)), 'corrupt-model', /8-byte/)
    expectCode(() => parseSafetensors(bytes.subarray(0, 20)), 'corrupt-model', /truncated/)
    expectCode(() => parseSafetensors(bytes.subarray(0, bytes.length - 1)), 'corrupt-model', /tensor w ends at byte 16/)
    const badJson = bytes.slice()
    badJson[8] = 0x7B + 1 // '{' → '|'
    expectCode(() => parseSafetensors(badJson), 'corrupt-model', /JSON/)
    expectCode(() => parseSafetensors(rawFile([{ name: 'w', dtype: 'F32', shape: [3], bytes: new Uint8Array(8) }])), 'corrupt-model', /8 bytes for shape \[3\]/)
  })

  it('skips (bounds-checked) tensors of other dtypes, such as a BOOL mask buffer', () => {
    const file = rawFile([
      { name: 'h.0.attn.bias', dtype: 'BOOL', shape: [1, 1, 2, 2], bytes: Uint8Array.from([1, 0, 1, 1]) },
      { name: 'w', dtype: 'F32', shape: [1], bytes: new Uint8Array(Float32Array.from([4]).buffer) },
    ])
    const { tensors, skipped } = parseSafetensors(file)
    expect([...skipped]).toEqual([['h.0.attn.bias', 'BOOL']])
    expect([...tensors.keys()]).toEqual(['w'])
    expect(tensors.get('w')!.data[0]).toBe(4)
    // …but a skipped tensor past the end of the data is still a truncated file.
    expectCode(() => parseSafetensors(file.subarray(0, file.length - 5)), 'corrupt-model', /h.0.attn.bias ends at byte 4/)
  })

  it('reads through ModelFiles and names the file in errors', async () => {
    const good = writeSafetensors({ w: { shape: [1], data: Float32Array.from([2]) } })
    const files = (bytes: Uint8Array): ModelFiles => ({
      location: 'mem://m/',
      exists: async () => true,
      readBytes: async () => bytes,
      readText: async () => '',
    })
    expect(Array.from((await readSafetensors(files(good))).tensors.get('w')!.data)).toEqual([2])
    await expect(readSafetensors(files(good.subarray(0, good.length - 2)))).rejects.toMatchObject({ code: 'corrupt-model', message: expect.stringContaining('mem://m/model.safetensors') })
  })
})
