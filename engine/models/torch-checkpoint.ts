import type { PyValue } from './pickle'
/**
 * Reads a PyTorch `torch.save` checkpoint (the zip format: `<name>/data.pkl` plus one raw
 * little-endian file per storage under `<name>/data/<key>`) with the safe pickle reader.
 * Only the globals a plain `state_dict` + Python containers need are whitelisted.
 */
import { unzipSync } from 'fflate'
import { AttributionError } from '../core/errors'
import { PyGlobal, unpickle } from './pickle'

/** A tensor read from a checkpoint; always materialised contiguous (row-major). */
export interface TorchTensor {
  dtype: 'float32' | 'float64' | 'int64' | 'int32'
  shape: number[]
  /** Row-major values. float64/int64 are converted to float64 JS numbers. */
  data: Float32Array | Float64Array | Int32Array
}

interface StorageRef { kind: 'storage', dtype: TorchTensor['dtype'], key: string, numel: number }

const STORAGE_DTYPES: Record<string, TorchTensor['dtype']> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
}

function fail(message: string): never {
  throw new AttributionError('corrupt-model', message)
}

/**
 * Parses the checkpoint bytes into Python values (Map for dicts) with tensors as `TorchTensor`.
 *
 * @example
 * const ckpt = readTorchCheckpoint(await readFile('bow_text_classifier.pt')) as Map<string, unknown>
 * const w = (ckpt.get('model_state_dict') as Map<string, TorchTensor>).get('fc1.weight') // shape [30, 4860]
 */
export function readTorchCheckpoint(bytes: Uint8Array): PyValue {
  let entries: Record<string, Uint8Array>
  try {
    entries = unzipSync(bytes)
  }
  catch (e) {
    fail(`Not a PyTorch zip checkpoint (${(e as Error).message}). Legacy non-zip .pt files are not supported.`)
  }
  const pklName = Object.keys(entries).find(n => n.endsWith('/data.pkl') || n === 'data.pkl')
  if (!pklName)
    fail('The checkpoint has no data.pkl.')
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length)
  const byteorder = entries[`${prefix}byteorder`]
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little')
    fail('Big-endian checkpoints are not supported.')

  const globals: Record<string, (...a: PyValue[]) => PyValue> = {
    'collections OrderedDict': () => new Map(),
    'torch._utils _rebuild_tensor_v2': (storage, offset, size, stride) =>
      rebuildTensor(storage as StorageRef, offset as number, size as number[], stride as number[], entries, prefix),
    'torch._utils _rebuild_parameter': tensor => tensor,
  }
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES))
    globals[`torch ${name}`] = () => fail(`torch.${name} (${dtype}) cannot be called here.`)

  return unpickle(entries[pklName]!, {
    globals,
    persistentLoad: (pid) => {
      // ('storage', storage_type, key, location, numel)
      if (!Array.isArray(pid) || pid[0] !== 'storage')
        fail('Unknown persistent id in checkpoint.')
      // The storage type arrives as the (whitelisted, never called) global itself.
      const marker = pid[1] instanceof PyGlobal ? STORAGE_DTYPES[pid[1].name.replace(/^torch /, '')] : undefined
      if (!marker)
        fail('Unknown storage type in checkpoint.')
      return { kind: 'storage', dtype: marker, key: String(pid[2]), numel: Number(pid[4]) } satisfies StorageRef
    },
  })
}

function rebuildTensor(storage: StorageRef, offset: number, size: number[], stride: number[], entries: Record<string, Uint8Array>, prefix: string): TorchTensor {
  const raw = entries[`${prefix}data/${storage.key}`]
  if (!raw)
    fail(`Checkpoint storage data/${storage.key} is missing.`)
  const itemBytes = storage.dtype === 'float32' || storage.dtype === 'int32' ? 4 : 8
  if (raw.byteLength < storage.numel * itemBytes)
    fail(`Checkpoint storage data/${storage.key} is truncated.`)
  // Copy to an aligned buffer: zip entries can start at any byte.
  const buf = raw.slice(0, storage.numel * itemBytes).buffer
  const src: ArrayLike<number> = storage.dtype === 'float32'
    ? new Float32Array(buf)
    : storage.dtype === 'int32'
      ? new Int32Array(buf)
      : storage.dtype === 'float64'
        ? new Float64Array(buf)
        : Float64Array.from(new BigInt64Array(buf), Number)
  const numel = size.reduce((a, b) => a * b, 1)
  const out = storage.dtype === 'float32' ? new Float32Array(numel) : storage.dtype === 'int32' ? new Int32Array(numel) : new Float64Array(numel)
  // Walk the (possibly strided) view in row-major order.
  const idx = Array.from({ length: size.length }, () => 0)
  for (let i = 0; i < numel; i++) {
    let p = offset
    for (let d = 0; d < size.length; d++) p += idx[d]! * stride[d]!
    if (p >= storage.numel)
      fail('Checkpoint tensor view is out of its storage bounds.')
    out[i] = src[p]!
    for (let d = size.length - 1; d >= 0; d--) {
      if (++idx[d]! < size[d]!)
        break
      idx[d] = 0
    }
  }
  return { dtype: storage.dtype, shape: size.slice(), data: out }
}
