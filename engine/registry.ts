/**
 * The method registry: the one place that says which attribution methods exist, which
 * family each belongs to, which model kinds run it, which request options it takes (with
 * their types and ranges) and the defaults a request gets. `validateRequest` (run.ts),
 * the CLI, the worker, the deck's catalog and the benchmarks all read it.
 *
 * The algorithms themselves live one per module in `engine/methods/`; they keep Captum's
 * own keyword defaults. The defaults here are what a *request* gets when it names no
 * value, which is what the slides and the CLI show.
 */
import type { MethodName, MethodOptions } from './api'
import { AttributionError } from './core/errors'

/** The model kinds a request can reach (detected from the folder, see run.ts). */
export type ModelKindName = 'bow' | 'gpt2'

export type MethodFamily
  /** Masks and a batched forward (engine/methods/feature-ablation.ts …). */
  = | 'perturbation'
  /** Gradients with respect to the BoW input vector. */
    | 'gradient'
  /** Gradients at the LLM's embedding layer (`LLMGradientAttribution`). */
    | 'layer-gradient'

type OptionName = keyof MethodOptions

/** The type and allowed values of one request option. */
export type OptionSpec
  = | { type: 'int', min: number, max: number }
    | { type: 'number', min: number, max: number }
    | { type: 'boolean' }
    | { type: 'enum', values: readonly string[] }
    /** A list of token ids (non-negative integers) or token strings. */
    | { type: 'tokens' }
    /** One token id (non-negative integer) or one token string. */
    | { type: 'token' }

/** One option's spec, and the model kinds that read it. */
interface OptionEntry { spec: OptionSpec, kinds: readonly ModelKindName[] }

const BOTH = ['bow', 'gpt2'] as const satisfies readonly ModelKindName[]
const LLM = ['gpt2'] as const satisfies readonly ModelKindName[]
const BOW = ['bow'] as const satisfies readonly ModelKindName[]

export const INTEGRATION_METHODS = ['gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle'] as const

/** Every request option, once: its type, range, and the model kinds that read it. */
export const OPTIONS: Record<OptionName, OptionEntry> = {
  // Ranges keep a run finite and a mistake obvious: 10⁹ steps is a typo, not a request.
  nSamples: { spec: { type: 'int', min: 1, max: 10_000 }, kinds: BOTH },
  nSteps: { spec: { type: 'int', min: 1, max: 10_000 }, kinds: BOTH },
  method: { spec: { type: 'enum', values: INTEGRATION_METHODS }, kinds: BOTH },
  seed: { spec: { type: 'int', min: 0, max: 2 ** 32 - 1 }, kinds: BOTH },
  perturbationsPerEval: { spec: { type: 'int', min: 1, max: 4096 }, kinds: BOTH },
  internalBatchSize: { spec: { type: 'int', min: 1, max: 65_536 }, kinds: BOTH },
  alpha: { spec: { type: 'number', min: 0, max: 1e6 }, kinds: BOTH },
  ntType: { spec: { type: 'enum', values: ['smoothgrad', 'smoothgrad_sq', 'vargrad'] }, kinds: BOW },
  ntSamples: { spec: { type: 'int', min: 1, max: 1000 }, kinds: BOW },
  stdevs: { spec: { type: 'number', min: 0, max: 1000 }, kinds: BOTH },
  baseMethod: { spec: { type: 'enum', values: ['IntegratedGradients', 'Saliency', 'InputXGradient'] }, kinds: BOW },
  abs: { spec: { type: 'boolean' }, kinds: BOW },
  deepLiftVariant: { spec: { type: 'enum', values: ['rescale', 'captum', 'captum-module'] }, kinds: BOW },
  igPath: { spec: { type: 'boolean' }, kinds: BOW },
  infidelityPerturb: { spec: { type: 'enum', values: ['gaussian', 'notebook'] }, kinds: BOW },
  maxNewTokens: { spec: { type: 'int', min: 1, max: 256 }, kinds: LLM },
  attrTarget: { spec: { type: 'enum', values: ['log_prob', 'prob'] }, kinds: LLM },
  numTrials: { spec: { type: 'int', min: 1, max: 1000 }, kinds: LLM },
  skipTokens: { spec: { type: 'tokens' }, kinds: LLM },
  baselineToken: { spec: { type: 'token' }, kinds: LLM },
  dtype: { spec: { type: 'enum', values: ['fp32', 'q8'] }, kinds: LLM },
}

/** One method: what it is, what runs it, what it takes. */
export interface MethodEntry {
  family: MethodFamily
  /** The model kinds that run it. */
  kinds: readonly ModelKindName[]
  /**
   * Whether an LLM result has per-output-token rows (`tokenAttr`) besides `seqAttr`: the
   * surrogate methods (Lime, KernelShap) fit one model of the summed target, as Captum.
   */
  perTokenOutput: boolean
  /** Whether it draws random samples (then `seed` makes it repeatable). */
  sampled: boolean
  /** The options it reads, besides the ones every method of its kinds reads (COMMON). */
  options: readonly OptionName[]
  /** What a request gets for an option it leaves out, per model kind. */
  defaults: Partial<Record<ModelKindName, MethodOptions>>
}

/** Read by every method: the seed (ProductBaselines draws even for FeatureAblation) and the LLM's input/target options. */
const COMMON: readonly OptionName[] = ['seed', 'maxNewTokens', 'attrTarget', 'skipTokens', 'baselineToken', 'dtype']
const METRICS: readonly OptionName[] = ['infidelityPerturb', 'nSteps', 'method']
const PERTURBATION: readonly OptionName[] = ['perturbationsPerEval', 'numTrials']

/**
 * Every method, in the order the deck and the CLI list them.
 *
 * @example
 * METHOD_REGISTRY.KernelShap.defaults.gpt2 // { nSamples: 25 }
 */
const REGISTRY = {
  FeatureAblation: { family: 'perturbation', kinds: BOTH, perTokenOutput: true, sampled: false, options: [...PERTURBATION, ...METRICS], defaults: {} },
  ShapleyValues: { family: 'perturbation', kinds: BOTH, perTokenOutput: true, sampled: false, options: [...PERTURBATION, ...METRICS], defaults: {} },
  ShapleyValueSampling: { family: 'perturbation', kinds: BOTH, perTokenOutput: true, sampled: true, options: [...PERTURBATION, ...METRICS, 'nSamples'], defaults: { bow: { nSamples: 25 }, gpt2: { nSamples: 25 } } },
  Lime: { family: 'perturbation', kinds: BOTH, perTokenOutput: false, sampled: true, options: [...PERTURBATION, ...METRICS, 'nSamples', 'alpha'], defaults: { bow: { nSamples: 50, alpha: 0.01 }, gpt2: { nSamples: 50, alpha: 0.01 } } },
  KernelShap: { family: 'perturbation', kinds: BOTH, perTokenOutput: false, sampled: true, options: [...PERTURBATION, ...METRICS, 'nSamples'], defaults: { bow: { nSamples: 25 }, gpt2: { nSamples: 25 } } },
  IntegratedGradients: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: false, options: ['nSteps', 'method', 'internalBatchSize', 'igPath', ...METRICS], defaults: { bow: { nSteps: 50, method: 'gausslegendre' } } },
  Saliency: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: false, options: ['abs', ...METRICS], defaults: { bow: { abs: true } } },
  InputXGradient: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: false, options: [...METRICS], defaults: {} },
  DeepLift: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: false, options: ['deepLiftVariant', ...METRICS], defaults: { bow: { deepLiftVariant: 'captum' } } },
  GradientShap: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: true, options: ['nSamples', 'stdevs', 'internalBatchSize', ...METRICS], defaults: { bow: { nSamples: 20, stdevs: 0 } } },
  NoiseTunnel: { family: 'gradient', kinds: BOW, perTokenOutput: false, sampled: true, options: ['baseMethod', 'ntType', 'ntSamples', 'stdevs', 'nSteps', 'method', 'abs', 'internalBatchSize', ...METRICS], defaults: { bow: { baseMethod: 'IntegratedGradients', ntType: 'smoothgrad', ntSamples: 10, stdevs: 0.1 } } },
  LayerIntegratedGradients: { family: 'layer-gradient', kinds: LLM, perTokenOutput: true, sampled: false, options: ['nSteps', 'method', 'internalBatchSize'], defaults: { gpt2: { nSteps: 50, method: 'gausslegendre' } } },
  LayerGradientXActivation: { family: 'layer-gradient', kinds: LLM, perTokenOutput: true, sampled: false, options: [], defaults: {} },
  LayerGradientShap: { family: 'layer-gradient', kinds: LLM, perTokenOutput: true, sampled: true, options: ['nSamples', 'stdevs', 'internalBatchSize'], defaults: { gpt2: { nSamples: 5, stdevs: 0 } } },
} satisfies Record<MethodName, MethodEntry>

export const METHOD_REGISTRY: Record<MethodName, MethodEntry> = REGISTRY

/**
 * The methods a model kind runs, as a type read off the registry: a kind's table of run
 * functions is checked against it (`satisfies Record<MethodsOfKind<'bow'>, …>`).
 */
export type MethodsOfKind<K extends ModelKindName> = {
  [M in MethodName]: K extends (typeof REGISTRY)[M]['kinds'][number] ? M : never
}[MethodName]

/** Every method name, in registry order. */
export const METHOD_NAMES = Object.keys(METHOD_REGISTRY) as MethodName[]

/** The names of one family, e.g. `methodsOf('layer-gradient')`. */
export function methodsOf(family: MethodFamily): MethodName[] {
  return METHOD_NAMES.filter(m => METHOD_REGISTRY[m].family === family)
}

/** Whether `name` is a method of the registry. */
export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(METHOD_REGISTRY, name)
}

/** The options `method` reads on a model of kind `kind` (or on any kind when omitted). */
export function optionsOf(method: MethodName, kind?: ModelKindName): OptionName[] {
  return [...COMMON, ...METHOD_REGISTRY[method].options].filter(o => !kind || OPTIONS[o].kinds.includes(kind))
}

/**
 * A request's options with the registry's defaults filled in for the model kind.
 *
 * @example
 * withDefaults('Lime', 'bow', { seed: 3 }) // { seed: 3, nSamples: 50, alpha: 0.01 }
 * withDefaults('FeatureAblation', 'gpt2') // { seed: 0 }
 */
export function withDefaults(method: MethodName, kind: ModelKindName, options: MethodOptions = {}): MethodOptions {
  // Every method reads the seed (COMMON), and every sampler's default seed is 0: written
  // out, so that `{}` and `{ seed: 0 }` are one request (one cache entry, one result).
  return { seed: 0, ...METHOD_REGISTRY[method].defaults[kind], ...options }
}

function describe(spec: OptionSpec): string {
  switch (spec.type) {
    case 'int': return `an integer from ${spec.min} to ${spec.max}`
    case 'number': return `a number from ${spec.min} to ${spec.max}`
    case 'boolean': return 'true or false'
    case 'enum': return `one of ${spec.values.map(v => JSON.stringify(v)).join(', ')}`
    case 'tokens': return 'a list of token ids or token strings'
    case 'token': return 'a token id or a token string'
  }
}

const isTokenLike = (v: unknown) => typeof v === 'string' || (Number.isInteger(v) && (v as number) >= 0)

function fits(spec: OptionSpec, value: unknown): boolean {
  switch (spec.type) {
    case 'int': return Number.isInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max
    case 'number': return typeof value === 'number' && Number.isFinite(value) && value >= spec.min && value <= spec.max
    case 'boolean': return typeof value === 'boolean'
    case 'enum': return typeof value === 'string' && spec.values.includes(value)
    case 'tokens': return Array.isArray(value) && value.every(isTokenLike)
    case 'token': return isTokenLike(value)
  }
}

/**
 * Rejects an option the method does not read (on `kind`, when known), of the wrong type,
 * or out of range, with one line that names the option and what is allowed.
 *
 * @example
 * validateOptions('Lime', { nSamples: 0 })
 * // AttributionError: Lime option "nSamples" must be an integer from 1 to 10000 (got 0).
 */
export function validateOptions(method: MethodName, options: unknown, kind?: ModelKindName): void {
  if (options === undefined || options === null)
    return
  if (typeof options !== 'object' || Array.isArray(options))
    throw new AttributionError('bad-request', `"options" must be an object (got ${JSON.stringify(options)}).`)
  const allowed = optionsOf(method, kind)
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined)
      continue
    if (!allowed.includes(name as OptionName)) {
      const where = kind ? ` on the ${kind === 'bow' ? 'BoW' : 'GPT-2'} model` : ''
      throw new AttributionError('bad-request', `${method}${where} has no option "${name}". Its options: ${allowed.join(', ') || 'none'}.`)
    }
    const { spec } = OPTIONS[name as OptionName]
    if (!fits(spec, value))
      throw new AttributionError('bad-request', `${method} option "${name}" must be ${describe(spec)} (got ${JSON.stringify(value)}).`)
  }
}

/**
 * The explanation metrics a request may ask for (`request.metrics`). Both model kinds
 * compute all of them, in one stage (engine/metrics/stage.ts, called from run.ts): the
 * deletion and insertion curves over their features; the BoW classifier Captum's
 * `infidelity` and `sensitivity_max` on its input vector (of the IG attributions, as the
 * course notebook), the LLM their token variants.
 */
export const METRIC_NAMES = ['deletion', 'insertion', 'infidelity', 'sensitivityMax'] as const
export type MetricName = typeof METRIC_NAMES[number]

/**
 * Throws `bad-request` in one line for metrics that are not a list of METRIC_NAMES.
 *
 * @example
 * validateMetrics(['sensitivity']) // throws: Unknown metric "sensitivity": use deletion, insertion, infidelity, sensitivityMax.
 */
export function validateMetrics(metrics: unknown): asserts metrics is MetricName[] | undefined {
  if (metrics === undefined || metrics === null)
    return
  if (!Array.isArray(metrics))
    throw new AttributionError('bad-request', `"metrics" must be a list of ${METRIC_NAMES.join(', ')}.`)
  const bad = metrics.find(m => !(METRIC_NAMES as readonly unknown[]).includes(m))
  if (bad !== undefined)
    throw new AttributionError('bad-request', `Unknown metric ${JSON.stringify(bad)}: use ${METRIC_NAMES.join(', ')}.`)
}
