import type { AttributionRequest, LlmResponse, MethodOptions } from '../../../engine/api'
/**
 * TextTokenInput's baseline (`options.baselineToken`, Captum's `baselines=`), as the
 * TextTokenInput slide's picker sends it: the token that "absent" means.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { nodeEnv } from '../../../engine/node-env'
import { runRequest } from '../../../engine/run'
import { makeTinyFixture } from './helpers'

const PROMPT = 'Dave lives in Palm Coast'
const TARGET = ' and plays golf'

describe('the TextTokenInput baseline token', () => {
  let fx: { dir: string, cleanup: () => void }
  beforeAll(async () => {
    fx = await makeTinyFixture()
  })
  afterAll(() => fx?.cleanup())

  const fa = async (options: MethodOptions) => await runRequest({
    model: fx.dir,
    method: 'FeatureAblation',
    options,
    input: { type: 'text', text: PROMPT },
    target: TARGET,
  } satisfies AttributionRequest, nodeEnv()) as LlmResponse

  it('a token replaced by itself changes nothing: its FeatureAblation score is exactly 0, the others are not', async () => {
    const base = await fa({})
    const lives = base.inputTokens.indexOf('Ġlives')
    expect(lives).toBeGreaterThan(0)
    const self = await fa({ baselineToken: 'Ġlives' })
    expect(self.seqAttr[lives]).toBe(0)
    expect(self.tokenAttr!.every(row => row[lives] === 0)).toBe(true)
    expect(self.seqAttr.filter((v, i) => i !== lives && v !== 0).length).toBe(self.seqAttr.length - 1)
  })

  it('an id and its token string are the same baseline; another baseline moves the scores', async () => {
    const eosById = await fa({ baselineToken: 50256 })
    const eosByToken = await fa({ baselineToken: '<|endoftext|>' })
    expect(eosByToken.seqAttr).toEqual(eosById.seqAttr)
    const bang = await fa({ baselineToken: 0 })
    expect(bang.seqAttr).toEqual((await fa({})).seqAttr)
    expect(Math.max(...bang.seqAttr.map((v, i) => Math.abs(v - eosById.seqAttr[i]!)))).toBeGreaterThan(1e-4)
  })

  it('a token outside the vocabulary gets one clear line, not a number', async () => {
    await expect(fa({ baselineToken: ' the' })).rejects.toThrow('" the" is not a token of this vocabulary (a leading space is written Ġ: "Ġthe").')
    await expect(fa({ baselineToken: 50257 })).rejects.toThrow('Token id 50257 is outside the vocabulary (0…50256).')
  })
})
