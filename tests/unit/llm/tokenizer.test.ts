import type { CausalLm } from '../../../engine/models/causal-lm'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadCausalLm } from '../../../engine/models/causal-lm'
import { gpt2SpecialTokensMapJson, gpt2TokenizerConfigJson, gpt2TokenizerJson } from '../../../scripts/fixtures/gpt2-tokenizer'
import { GPT2_REF, HAS_SHARED } from './helpers'

interface OracleCase { text: string, ids: number[], tokens: string[], decoded: string }

describe.skipIf(!HAS_SHARED)(`GPT-2 tokenizer vs oracle_fixture.json ${HAS_SHARED ? '' : '(skipped: shared reference absent)'}`, () => {
  let lm: CausalLm
  let cases: OracleCase[]
  beforeAll(async () => {
    lm = await loadCausalLm(GPT2_REF)
    cases = JSON.parse(readFileSync(join(GPT2_REF, 'oracle_fixture.json'), 'utf8')).tokenizer
  })

  it('encodes all 12 oracle strings to the recorded ids, tokens and decoded text', () => {
    expect(cases.length).toBe(12)
    for (const c of cases) {
      const ids = lm.encode(c.text)
      expect(ids, c.text).toEqual(c.ids)
      expect(lm.convertIdsToTokens(ids)).toEqual(c.tokens)
      expect(lm.decode(ids)).toBe(c.decoded)
      expect(lm.convertTokensToIds(c.tokens)).toEqual(c.ids)
    }
  })

  it('adds no BOS, keeps the leading space on the next token, maps <|endoftext|> to 50256', () => {
    expect(lm.encode('Dave')[0]).toBe(27984)
    expect(lm.encode(' playing')).toEqual([2712])
    expect(lm.encode('<|endoftext|>')).toEqual([50256])
  })

  it('our generated tokenizer files are byte-identical to the reference folder\'s', () => {
    expect(gpt2TokenizerJson()).toBe(readFileSync(join(GPT2_REF, 'tokenizer.json'), 'utf8'))
    expect(gpt2TokenizerConfigJson(128)).toBe(readFileSync(join(GPT2_REF, 'tokenizer_config.json'), 'utf8'))
    expect(gpt2SpecialTokensMapJson()).toBe(readFileSync(join(GPT2_REF, 'special_tokens_map.json'), 'utf8'))
    expect(Buffer.byteLength(gpt2TokenizerJson())).toBe(2_107_652)
  })
})
