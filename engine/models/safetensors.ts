import type { ModelFiles } from '../core/files'
/**
 * A reader for the `safetensors` format (Hugging Face): an 8-byte little-endian header
 * length N, N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] } }`
 * (plus an optional `__metadata__`), then the raw little-endian tensor bytes, offsets
 * relative to the end of the header. Every tensor is widened to a Float32Array so the
 * tfjs model can upload it directly.
 */
import { AttributionError } from '../core/errors'

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16'

/** One tensor, widened to float32, in row-major order. */
export interface SafeTensor {
  dtype: SafetensorsDtype
  shape: number[]
  data: Float32Array
}

/** All tensors of a file, by name, plus the free-form `__metadata__` strings. */
export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>
  metadata: Record<string, string>
  /**
   * Tensors of other dtypes (e.g. a BOOL/U8 causal-mask buffer or an I64 counter), by
   * name → dtype: bounds-checked but not decoded, so a model that never reads them loads.
   */
  skipped: Map<string, string>
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 }

/** IEEE half → float (exact: every f16 is representable in f32). */
function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1F
  const frac = h & 0x3FF
  if (exp === 0)
    return sign * frac * 2 ** -24 // subnormal (or ±0)
  if (exp === 0x1F)
    return frac ? Number.NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/** Where one tensor's bytes sit in the file. */
export interface SafetensorsEntry {
  dtype: string
  shape: number[]
  /** Byte offset of the tensor from the start of the file, and its length in bytes. */
  offset: number
  length: number
}

/**
 * Reads the header of a safetensors file (`bytes` may be just its first 8 + N bytes when
 * `fileLength` is given): every tensor's dtype, shape and absolute byte range, checked
 * against the file's length, so a truncated download is `corrupt-model` before any read.
 *
 * @example
 * const { entries } = safetensorsIndex(bytes)
 * entries.get('transformer.wte.weight') // { dtype: 'F32', shape: [50257, 32], offset: 1234, length: 6432896 }
 */
export function safetensorsIndex(bytes: Uint8Array, location = 'model.safetensors', fileLength = bytes.byteLength): { entries: Map<string, SafetensorsEntry>, metadata: Record<string, string> } {
  const corrupt = (why: string) => new AttributionError('corrupt-model', `${location} is not a valid safetensors file: ${why}.`)
  if (bytes.byteLength < 8)
    throw corrupt('shorter than its 8-byte header length (truncated download?)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLen = Number(view.getBigUint64(0, true))
  if (headerLen > fileLength - 8 || headerLen > bytes.byteLength - 8)
    throw corrupt(`header of ${headerLen} bytes but only ${fileLength - 8} bytes follow (truncated download?)`)
  let header: Record<string, unknown>
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)))
  }
  catch {
    throw corrupt('its JSON header does not parse')
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw corrupt('its header is not a JSON object')
  const dataStart = 8 + headerLen
  const dataLen = fileLength - dataStart
  const entries = new Map<string, SafetensorsEntry>()
  let metadata: Record<string, string> = {}
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>
      continue
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: string, shape?: number[], data_offsets?: [number, number] }
    if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2)
      throw corrupt(`tensor ${name} lacks dtype, shape or data_offsets`)
    const [begin, end] = offsets
    if (!(begin >= 0 && end >= begin) || end > dataLen)
      throw corrupt(`tensor ${name} ends at byte ${end} but the data has ${dataLen} bytes (truncated download?)`)
    const count = shape.reduce((a, b) => a * b, 1)
    if (dtype in BYTES && end - begin !== count * BYTES[dtype as SafetensorsDtype])
      throw corrupt(`tensor ${name} has ${end - begin} bytes for shape [${shape.join(', ')}] ${dtype}`)
    entries.set(name, { dtype, shape: [...shape], offset: dataStart + begin, length: end - begin })
  }
  return { entries, metadata }
}

/**
 * Parses a safetensors buffer. Truncated or malformed input gives a `corrupt-model`
 * error naming `location` (the file), never a silent short tensor.
 *
 * @example
 * const { tensors } = parseSafetensors(bytes, 'model.safetensors')
 * tensors.get('transformer.wte.weight')!.shape // [50257, 32]
 */
export function parseSafetensors(bytes: Uint8Array, location = 'model.safetensors'): SafetensorsFile {
  const { entries, metadata } = safetensorsIndex(bytes, location)
  const tensors = new Map<string, SafeTensor>()
  const skipped = new Map<string, string>()
  for (const [name, { dtype, shape, offset }] of entries) {
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      skipped.set(name, dtype)
      continue
    }
    const count = shape.reduce((a, b) => a * b, 1)
    const at = bytes.byteOffset + offset
    const data = new Float32Array(count)
    if (dtype === 'F32') {
      // Copy through bytes: the tensor may not be 4-byte aligned inside the file.
      new Uint8Array(data.buffer).set(new Uint8Array(bytes.buffer, at, count * 4))
      if (!littleEndianHost) {
        const dv = new DataView(bytes.buffer, at, count * 4)
        for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true)
      }
    }
    else {
      const dv = new DataView(bytes.buffer, at, count * 2)
      if (dtype === 'F16') {
        for (let i = 0; i < count; i++) data[i] = f16ToF32(dv.getUint16(2 * i, true))
      }
      else {
        // bfloat16 is the top half of a float32.
        const u32 = new Uint32Array(data.buffer)
        for (let i = 0; i < count; i++) u32[i] = dv.getUint16(2 * i, true) << 16
      }
    }
    tensors.set(name, { dtype, shape: [...shape], data })
  }
  return { tensors, metadata, skipped }
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

/**
 * Reads and parses `name` (default `model.safetensors`) through a `ModelFiles`.
 *
 * @example
 * const st = await readSafetensors(nodeFiles('/work/shared/captum-reference/gpt2-tiny'))
 */
export async function readSafetensors(files: ModelFiles, name = 'model.safetensors'): Promise<SafetensorsFile> {
  const bytes = await files.readBytes(name)
  return parseSafetensors(bytes, `${files.location}${name}`)
}

/**
 * Serializes float32 tensors as safetensors (F32), in insertion order. Used to write
 * test models; `parseSafetensors(writeSafetensors(t))` round-trips exactly.
 *
 * @example
 * const bytes = writeSafetensors({ 'wte.weight': { shape: [2, 3], data: new Float32Array(6) } })
 */
export function writeSafetensors(tensors: Record<string, { shape: number[], data: Float32Array }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {}
  if (metadata)
    header.__metadata__ = metadata
  let offset = 0
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] }
    offset += t.data.byteLength
  }
  let json = JSON.stringify(header)
  // Pad the header with spaces so the data starts 8-byte aligned (as the Rust writer does).
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8)
  const head = new TextEncoder().encode(json)
  const out = new Uint8Array(8 + head.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true)
  out.set(head, 8)
  let at = 8 + head.length
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at)
    at += t.data.byteLength
  }
  return out
}
