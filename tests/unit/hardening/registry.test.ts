import type { AttributionRequest, LlmResponse, MethodName } from '../../../engine/api'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allDefaultRequests } from '../../../components/demo/catalog'
import { LLM_GRADIENT_METHODS } from '../../../engine/api'
import { nodeEnv } from '../../../engine/node-env'
import { METHOD_NAMES, METHOD_REGISTRY, methodsOf, optionsOf, validateOptions, withDefaults } from '../../../engine/registry'
import { runRequest, validateRequest } from '../../../engine/run'
import { makeTinyFixture } from '../llm/helpers'

const BOW = 'public/models/bow'
const text = { type: 'text' as const, text: 'I love this game' }
function request(method: MethodName, options: Record<string, unknown>): AttributionRequest {
  return ({ model: BOW, method, options, input: text }) as AttributionRequest
}

/** The one line validateRequest gives, or null when it accepts. */
function rejection(method: MethodName, options: Record<string, unknown>): string | null {
  try {
    validateRequest(request(method, options))
    return null
  }
  catch (e) {
    return (e as Error).message
  }
}

describe('the method registry', () => {
  it('lists every method once, in families that partition it', () => {
    const families = [...methodsOf('perturbation'), ...methodsOf('gradient'), ...methodsOf('layer-gradient')]
    expect(families.sort()).toEqual([...METHOD_NAMES].sort())
    expect(LLM_GRADIENT_METHODS).toEqual(['LayerIntegratedGradients', 'LayerGradientXActivation', 'LayerGradientShap'])
    // Captum: the surrogate methods have no per-token attribution; the others do.
    expect(METHOD_NAMES.filter(m => METHOD_REGISTRY[m].kinds.includes('gpt2') && !METHOD_REGISTRY[m].perTokenOutput)).toEqual(['Lime', 'KernelShap'])
  })

  it('fills the request defaults per model kind, and the request wins', () => {
    expect(withDefaults('Lime', 'bow', { seed: 3 })).toEqual({ nSamples: 50, alpha: 0.01, seed: 3 })
    expect(withDefaults('Lime', 'bow', { nSamples: 7 }).nSamples).toBe(7)
    expect(withDefaults('FeatureAblation', 'gpt2')).toEqual({ seed: 0 })
  })

  it('every default is itself a valid option of its method', () => {
    for (const m of METHOD_NAMES) {
      for (const kind of METHOD_REGISTRY[m].kinds)
        expect(() => validateOptions(m, withDefaults(m, kind), kind), `${m} on ${kind}`).not.toThrow()
    }
  })

  it('options are per model kind: igPath is a BoW option, maxNewTokens an LLM one', () => {
    expect(optionsOf('IntegratedGradients', 'bow')).toContain('igPath')
    expect(optionsOf('FeatureAblation', 'gpt2')).toContain('maxNewTokens')
    expect(optionsOf('FeatureAblation', 'bow')).not.toContain('maxNewTokens')
  })
})

describe('options are validated at the boundary, with one line that names the option', () => {
  it.each([
    ['Lime', { nSamples: 0 }, 'Lime option "nSamples" must be an integer from 1 to 10000 (got 0).'],
    ['IntegratedGradients', { nSteps: 1e9 }, 'IntegratedGradients option "nSteps" must be an integer from 1 to 10000 (got 1000000000).'],
    ['Lime', { alpha: -1 }, 'Lime option "alpha" must be a number from 0 to 1000000 (got -1).'],
    ['KernelShap', { nSamples: 2.5 }, 'KernelShap option "nSamples" must be an integer from 1 to 10000 (got 2.5).'],
    ['KernelShap', { seed: '3' }, 'KernelShap option "seed" must be an integer from 0 to 4294967295 (got "3").'],
    ['IntegratedGradients', { method: 'simpson' }, 'IntegratedGradients option "method" must be one of "gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle" (got "simpson").'],
    ['Saliency', { abs: 'yes' }, 'Saliency option "abs" must be true or false (got "yes").'],
  ] as Array<[MethodName, Record<string, unknown>, string]>)('%s %j', (method, options, message) => {
    expect(rejection(method, options)).toBe(message)
  })

  it('an unknown option, or a replay injection, is refused and the method\'s options are listed', () => {
    expect(rejection('FeatureAblation', { nStep: 3 })).toMatch(/^FeatureAblation has no option "nStep"\. Its options: seed, .*perturbationsPerEval/)
    for (const injected of ['permutations', 'coalitions', 'weights'])
      expect(rejection('ShapleyValueSampling', { [injected]: [[0, 1]] })).toMatch(new RegExp(`has no option "${injected}"`))
    expect(rejection('Saliency', { nSamples: 5 })).toMatch(/^Saliency has no option "nSamples"/)
  })

  it('accepts every option the deck and the CLI send', () => {
    expect(rejection('LayerIntegratedGradients', { nSteps: 10, method: 'riemann_trapezoid', internalBatchSize: 8 })).toBeNull()
    expect(rejection('ShapleyValueSampling', { nSamples: 4, seed: 1, perturbationsPerEval: 8, skipTokens: ['\n', 50256], baselineToken: ' the', maxNewTokens: 5 })).toBeNull()
    expect(rejection('NoiseTunnel', { baseMethod: 'Saliency', ntType: 'vargrad', ntSamples: 4, stdevs: 0.2, abs: false })).toBeNull()
  })

  it('every request the deck sends is valid for its model kind', () => {
    const requests = allDefaultRequests({ bow: 'bow', llm: 'distilgpt2' })
    expect(requests.length).toBeGreaterThan(20)
    for (const { id, request } of requests) {
      expect(() => validateRequest(request), id).not.toThrow()
      expect(() => validateOptions(request.method, request.options, request.model === 'bow' ? 'bow' : 'gpt2'), id).not.toThrow()
    }
  })

  it('knows the model kind once the folder is read: an LLM option on the BoW model is refused', async () => {
    await expect(runRequest(request('FeatureAblation', { maxNewTokens: 3 }), nodeEnv())).rejects.toThrow('FeatureAblation on the BoW model has no option "maxNewTokens".')
    await expect(runRequest(request('LayerIntegratedGradients', {}), nodeEnv())).rejects.toThrow(/LayerIntegratedGradients runs on the GPT-2 model, not on public\/models\/bow/)
  })
})

describe('the registry\'s defaults are the ones a request runs with', () => {
  let fx: { dir: string, cleanup: () => void }
  beforeAll(async () => {
    fx = await makeTinyFixture()
  })
  afterAll(() => fx?.cleanup())

  const kernelShap = async (options: Record<string, unknown>) => await runRequest({
    model: fx.dir,
    method: 'KernelShap',
    options,
    input: { type: 'text', text: 'Dave lives in Palm Coast' },
    target: ' and plays golf',
  } as AttributionRequest, nodeEnv()) as LlmResponse

  it('on the GPT-2 model: changing the registry\'s default changes what a request without the option runs', async () => {
    const entry = METHOD_REGISTRY.KernelShap.defaults
    const saved = entry.gpt2
    try {
      entry.gpt2 = { nSamples: 7 }
      const bare = await kernelShap({})
      const seven = await kernelShap({ nSamples: 7 })
      const twentyFive = await kernelShap({ nSamples: 25 })
      expect(bare.seqAttr).toEqual(seven.seqAttr)
      expect(bare.seqAttr).not.toEqual(twentyFive.seqAttr)
    }
    finally {
      entry.gpt2 = saved
    }
  })
})
