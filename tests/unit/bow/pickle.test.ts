import type { TorchTensor } from '../../../engine/models/torch-checkpoint'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { AttributionError } from '../../../engine/core/errors'
import { unpickle } from '../../../engine/models/pickle'
import { readTorchCheckpoint } from '../../../engine/models/torch-checkpoint'
import { CHECKPOINT_PATH, HAVE_SHARED, SKIP_MESSAGE } from './helpers'

const enc = (s: string) => Array.from(new TextEncoder().encode(s))

describe('safe pickle reader', () => {
  it('reads containers, ints, floats, strings and memo references', () => {
    // pickle.dumps({'a': [1, 300, -5, 2.5, 'x'], 'b': ('a', True, None)}, protocol=2) — hand-assembled
    const bytes = Uint8Array.from([
      0x80,
      2,
      0x7D,
      0x71,
      0,
      0x28,
      0x58,
      1,
      0,
      0,
      0,
      ...enc('a'),
      0x71,
      1,
      0x5D,
      0x71,
      2,
      0x28,
      0x4B,
      1,
      0x4D,
      0x2C,
      0x01,
      0x4A,
      0xFB,
      0xFF,
      0xFF,
      0xFF,
      0x47,
      0x40,
      0x04,
      0,
      0,
      0,
      0,
      0,
      0,
      0x58,
      1,
      0,
      0,
      0,
      ...enc('x'),
      0x65,
      0x58,
      1,
      0,
      0,
      0,
      ...enc('b'),
      0x68,
      1,
      0x88,
      0x4E,
      0x87,
      0x75,
      0x2E,
    ])
    const v = unpickle(bytes, { globals: {} }) as Map<string, unknown>
    expect(v.get('a')).toEqual([1, 300, -5, 2.5, 'x'])
    expect(v.get('b')).toEqual(['a', true, null])
  })

  it('rejects GLOBAL os system + REDUCE (code execution) with a clear error', () => {
    // cos\nsystem\n(S'echo pwned'\ntR.  — the classic malicious pickle, protocol-0 strings
    const bytes = Uint8Array.from([0x63, ...enc('os\nsystem\n'), 0x28, 0x58, 10, 0, 0, 0, ...enc('echo pwned'), 0x74, 0x52, 0x2E])
    expect(() => unpickle(bytes, { globals: { 'collections OrderedDict': () => new Map() } }))
      .toThrowError(/global os\.system is not on the whitelist/)
    try {
      unpickle(bytes, { globals: {} })
    }
    catch (e) {
      expect(e).toBeInstanceOf(AttributionError)
      expect((e as AttributionError).code).toBe('corrupt-model')
    }
  })

  it('rejects builtins eval via STACK_GLOBAL and unknown opcodes (INST, OBJ)', () => {
    const stackGlobal = Uint8Array.from([0x80, 4, 0x8C, 8, ...enc('builtins'), 0x8C, 4, ...enc('eval'), 0x93, 0x2E])
    expect(() => unpickle(stackGlobal, { globals: {} })).toThrowError(/builtins\.eval is not on the whitelist/)
    const inst = Uint8Array.from([0x28, 0x69, ...enc('os\nsystem\n'), 0x2E]) // MARK INST
    expect(() => unpickle(inst, { globals: {} })).toThrowError(/opcode 0x69 .* not supported/)
  })

  it('rejects REDUCE on a non-global and truncated input', () => {
    expect(() => unpickle(Uint8Array.from([0x29, 0x29, 0x52, 0x2E]), { globals: {} })).toThrowError(/not a whitelisted global/)
    expect(() => unpickle(Uint8Array.from([0x58, 9, 0, 0, 0, 0x61]), { globals: {} })).toThrowError(/truncated/)
  })
})

describe.skipIf(!HAVE_SHARED)('course checkpoint (torch zip + pickle)', () => {
  if (!HAVE_SHARED)
    console.warn(SKIP_MESSAGE)
  it('reads the state dict and the vocab of bow_text_classifier.pt', () => {
    const ckpt = readTorchCheckpoint(readFileSync(CHECKPOINT_PATH)) as Map<string, any>
    expect([...ckpt.keys()]).toEqual(['model_state_dict', 'vocab', 'idx2token'])
    const sd = ckpt.get('model_state_dict') as Map<string, TorchTensor>
    expect([...sd.keys()]).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias', 'fc4.weight', 'fc4.bias'])
    expect(sd.get('fc1.weight')!.shape).toEqual([30, 4860])
    expect(sd.get('fc4.bias')!.shape).toEqual([2])
    // Values as printed by torch for the first entries.
    expect(sd.get('fc4.bias')!.data[0]).toBeCloseTo(0.05775344371795654, 7)
    const vocab = ckpt.get('vocab') as Map<string, number>
    expect(vocab.size).toBe(4860)
    expect(vocab.get('<NUM>')).toBe(0)
    expect(vocab.get('<UNK>')).toBe(44)
    expect(vocab.get('game')).toBe(1799)
  })
})
