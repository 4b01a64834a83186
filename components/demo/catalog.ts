/**
 * Every live demo of the deck and its default request: the single source of truth that
 * the slides (through BowDemo, LlmDemo, …), `npm run bake`, the e2e tests and the PDF
 * checks all read. A slide names a demo by id; its inputs start from here.
 */
import type { AttributionRequest, MethodName, MethodOptions, RequestInput } from '../../engine/api'

export const PALM_COAST_PROMPT = 'Dave lives in Palm Coast, FL and is a lawyer. His personal interests include'
export const PALM_COAST_TARGET = ' playing golf, hiking, and cooking.'
export const BOW_MIXED = 'I hate it, hate it so much, but I love the soundtrack'
/** Saturates every hard-sigmoid of the classifier: the gradient at x is exactly 0 (IG is not). */
export const BOW_SATURATED = 'Good, good, good game. Really good fun! Love it, love it, best game ever.'
/** Long enough (eight scored words) for the methods to disagree in their rankings. */
export const BOW_COMPARE = 'The graphics are great and the music is fine, but the story is boring and the ending made me angry'

export interface TemplateSpec {
  template: string
  values: Record<string, string>
  baselines?: Record<string, string> | null
  productBaselines?: Record<string, string[]> | null
}

export interface LlmDemoSpec {
  kind: 'llm'
  method: MethodName
  options?: MethodOptions
  /** TextTokenInput prompt (when no template). */
  prompt?: string
  template?: TemplateSpec
  /** null: generate greedily. */
  target: string | null
  metrics?: string[]
}

/**
 * The baselines the TextTokenInput slide offers (GPT-2 ids): "absent" means replaced by
 * this token, so each one asks a different question of the model.
 */
export const TOKEN_BASELINES: Array<{ value: number, label: string, note: string }> = [
  { value: 0, label: 'id 0 "!"', note: 'Captum\'s default' },
  { value: 50256, label: 'id 50256 <|endoftext|>', note: 'the EOS token' },
  { value: 220, label: 'id 220 "Ġ"', note: 'a lone space' },
]

export interface BowDemoSpec {
  kind: 'bow'
  method: MethodName
  options?: MethodOptions
  text: string
  metrics?: string[]
  /** Methods the audience may switch to in place. */
  methods?: MethodName[]
}

export type DemoSpec = LlmDemoSpec | BowDemoSpec

// The course notebook's baseline lists (pert_captum.ipynb): names and jobs for those
// keys, and the four "T" countries for each template's second key.
export const BIAS_NAMES = ['John', 'Maria', 'Ahmed', 'Zhang Wei']
export const BIAS_JOBS = ['nurse', 'CEO', 'teacher', 'construction worker']
export const BIAS_OTHER = ['Togo', 'Turkmenistan', 'Trinidad and Tobago', 'Tuvalu']

/**
 * The notebook's four hiring-bias templates. Prompts and values verbatim; each target gets
 * the leading space Captum's LLM tutorial puts there (" playing golf…"), which the notebook
 * omits: GPT-2 then scores the continuation's own word tokens (" reject"), not "reject"
 * glued to the prompt's last word.
 */
export const BIAS_TEMPLATES: Record<string, { prompt: string, values: Record<string, string>, target: string }> = {
  t1: { prompt: '{name} from {country} applied for a job as a {job}. The hiring manager decided to', values: { name: 'Georg', country: 'Germany', job: 'janitor' }, target: ' reject the application without further consideration.' },
  t2: { prompt: '{name} who practices {religion} requested time off for a religious holiday. The supervisor of her work as {job}', values: { name: 'Jane', religion: 'Orthodoxy', job: 'historian' }, target: ' denys the request citing staffing constraints.' },
  t3: { prompt: '{name} with {number} children applied for the {job} position. The employer', values: { name: 'Dave', number: 'three', job: 'salesperson' }, target: ' offers the position with flexible scheduling accommodations.' },
  t4: { prompt: '{name} who uses a {mobility_aid} applied to be a {job}. The interviewer\'s response was', values: { name: 'Elisabeth', mobility_aid: 'cane', job: 'teacher' }, target: ' to proceed with the application and arrange reasonable accommodations.' },
}

function biasSpec(key: string): LlmDemoSpec {
  const t = BIAS_TEMPLATES[key]
  const productBaselines = Object.fromEntries(Object.keys(t.values).map(k => [k, k === 'name' ? BIAS_NAMES : k === 'job' ? BIAS_JOBS : BIAS_OTHER]))
  return { kind: 'llm', method: 'ShapleyValueSampling', options: { nSamples: 4, seed: 0 }, template: { template: t.prompt, values: t.values, productBaselines }, target: t.target }
}

const palm = { prompt: PALM_COAST_PROMPT, target: PALM_COAST_TARGET }

export const DEMOS: Record<string, DemoSpec> = {
  'llm-feature-ablation': { kind: 'llm', method: 'FeatureAblation', ...palm },
  'llm-shapley-values': { kind: 'llm', method: 'ShapleyValues', prompt: 'Dave lives in Palm Coast', target: ' and' },
  'llm-svs-seed0': { kind: 'llm', method: 'ShapleyValueSampling', options: { nSamples: 5, seed: 0 }, ...palm },
  'llm-svs-seed1': { kind: 'llm', method: 'ShapleyValueSampling', options: { nSamples: 5, seed: 1 }, ...palm },
  'llm-lime': { kind: 'llm', method: 'Lime', options: { nSamples: 50, seed: 0 }, ...palm },
  'llm-kernel-shap': { kind: 'llm', method: 'KernelShap', options: { nSamples: 50, seed: 0 }, ...palm },
  'llm-text-token-generate': { kind: 'llm', method: 'FeatureAblation', options: { maxNewTokens: 5 }, prompt: 'The capital of France is', target: null },
  'llm-template-baselines': {
    kind: 'llm',
    method: 'FeatureAblation',
    template: { template: '{name} from {country} applied for a job as a {job}. The hiring manager decided to', values: { name: 'Georg', country: 'Germany', job: 'janitor' }, baselines: { name: 'Maria', country: 'Togo', job: 'nurse' } },
    target: ' reject the application',
  },
  'llm-product-baselines': {
    kind: 'llm',
    method: 'ShapleyValueSampling',
    options: { nSamples: 4, seed: 0 },
    template: { template: '{name} from {country} applied for a job as a {job}. The hiring manager decided to', values: { name: 'Georg', country: 'Germany', job: 'janitor' }, productBaselines: { name: BIAS_NAMES, country: BIAS_OTHER, job: BIAS_JOBS } },
    target: ' reject the application without further consideration.',
  },
  'bias-t1': biasSpec('t1'),
  'bias-t2': biasSpec('t2'),
  'bias-t3': biasSpec('t3'),
  'bias-t4': biasSpec('t4'),
  'llm-palm-coast': { kind: 'llm', method: 'FeatureAblation', ...palm },
  'llm-layer-ig': { kind: 'llm', method: 'LayerIntegratedGradients', options: { nSteps: 10 }, ...palm },
  'llm-fa-vs-ig': { kind: 'llm', method: 'FeatureAblation', ...palm },
  'llm-layer-gxa': { kind: 'llm', method: 'LayerGradientXActivation', ...palm },
  // Captum's LayerGradientShap default: 5 random alphas; stdevs 0 (noise on token ids is meaningless); seeded.
  'llm-layer-gshap': { kind: 'llm', method: 'LayerGradientShap', options: { nSamples: 5, stdevs: 0, seed: 0 }, ...palm },
  'bow-intro': { kind: 'bow', method: 'Saliency', text: 'I love this game!' },
  'bow-saliency': { kind: 'bow', method: 'Saliency', text: BOW_MIXED, methods: ['Saliency', 'InputXGradient'] },
  // igPath: the path point by point for the IG explorable (the attribution is IG's as always).
  'bow-ig': { kind: 'bow', method: 'IntegratedGradients', options: { nSteps: 50, igPath: true }, text: BOW_MIXED },
  'bow-saturation': { kind: 'bow', method: 'InputXGradient', text: BOW_SATURATED, methods: ['InputXGradient', 'Saliency'] },
  'bow-deeplift-rescale': { kind: 'bow', method: 'DeepLift', options: { deepLiftVariant: 'rescale' }, text: BOW_MIXED },
  'bow-deeplift-captum': { kind: 'bow', method: 'DeepLift', options: { deepLiftVariant: 'captum' }, text: BOW_MIXED },
  'bow-gradient-shap': { kind: 'bow', method: 'GradientShap', options: { nSamples: 20, seed: 0 }, text: BOW_MIXED, methods: ['GradientShap', 'NoiseTunnel'] },
  'bow-faithfulness': { kind: 'bow', method: 'IntegratedGradients', options: { seed: 0 }, text: BOW_MIXED, metrics: ['infidelity', 'sensitivityMax'] },
}

/** The methods compared side by side on the BoW model ("All methods side by side"). */
export const COMPARE_METHODS: Array<{ method: MethodName, options?: MethodOptions, label?: string }> = [
  { method: 'Saliency', options: { abs: false }, label: 'Gradient' },
  { method: 'InputXGradient' },
  { method: 'IntegratedGradients', options: { nSteps: 50 } },
  { method: 'DeepLift', options: { deepLiftVariant: 'rescale' } },
  { method: 'GradientShap', options: { nSamples: 20, seed: 0 } },
  { method: 'FeatureAblation' },
  { method: 'ShapleyValues' },
  { method: 'ShapleyValueSampling', options: { nSamples: 25, seed: 0 } },
  { method: 'KernelShap', options: { nSamples: 200, seed: 0 } },
  { method: 'Lime', options: { nSamples: 200, seed: 0 } },
]

/**
 * The LLM methods compared side by side on distilgpt2 (the Palm Coast prompt): the
 * perturbation family and LayerIntegratedGradients, at the sample counts of their slides.
 */
export const COMPARE_LLM_METHODS: Array<{ method: MethodName, options?: MethodOptions, label?: string }> = [
  { method: 'FeatureAblation' },
  { method: 'ShapleyValueSampling', options: { nSamples: 5, seed: 0 }, label: 'SVS(5)' },
  { method: 'KernelShap', options: { nSamples: 50, seed: 0 }, label: 'KernelShap(50)' },
  { method: 'Lime', options: { nSamples: 50, seed: 0 }, label: 'Lime(50)' },
  { method: 'LayerIntegratedGradients', options: { nSteps: 10 }, label: 'LayerIG(10)' },
]

/** The LLM methods measured on "Which explanation should I trust?". */
export const FAITHFULNESS_METHODS: Array<{ method: MethodName, options?: MethodOptions }> = [
  { method: 'FeatureAblation' },
  { method: 'ShapleyValueSampling', options: { nSamples: 5, seed: 0 } },
  { method: 'KernelShap', options: { nSamples: 50, seed: 0 } },
  { method: 'Lime', options: { nSamples: 50, seed: 0 } },
  { method: 'LayerIntegratedGradients', options: { nSteps: 10 } },
]
export const FAITHFULNESS_METRICS = ['deletion', 'insertion', 'infidelity', 'sensitivityMax']

/** Model names (folders under public/models/) the deck uses. */
export interface DeckModels {
  bow: string
  llm: string
}

/**
 * The request a demo sends, from its spec and the current (possibly edited) inputs.
 *
 * @example
 * requestFor(DEMOS['bow-ig'], { bow: 'bow', llm: 'distilgpt2' })
 */
export function requestFor(spec: DemoSpec, models: DeckModels, edits: { text?: string, target?: string | null, method?: MethodName, input?: RequestInput, baselineToken?: number | string } = {}): AttributionRequest {
  if (spec.kind === 'bow') {
    return {
      model: models.bow,
      method: edits.method ?? spec.method,
      options: spec.options ?? {},
      input: { type: 'text', text: edits.text ?? spec.text },
      target: null,
      ...(spec.metrics?.length ? { metrics: spec.metrics } : {}),
    }
  }
  const input: RequestInput = edits.input
    ?? (spec.template
      ? { type: 'template', template: spec.template.template, values: spec.template.values, baselines: spec.template.baselines ?? null, productBaselines: spec.template.productBaselines ?? null }
      : { type: 'text', text: edits.text ?? spec.prompt ?? '' })
  const target = edits.target === undefined ? spec.target : edits.target
  // The default baseline (0) adds no option, so the request (and its baked result) stays the same.
  const baseline = edits.baselineToken === undefined || edits.baselineToken === 0 ? {} : { baselineToken: edits.baselineToken }
  return {
    model: models.llm,
    method: edits.method ?? spec.method,
    options: { ...spec.options, ...baseline },
    input,
    target: target === '' && spec.target === null ? null : target,
    ...(spec.metrics?.length ? { metrics: spec.metrics } : {}),
  }
}

/** IG beside the saturation slide's gradient method (same sentence, one shared colour scale). */
export const SATURATION_IG: { method: MethodName, options: MethodOptions } = { method: 'IntegratedGradients', options: { nSteps: 50 } }

/** The saturation slide's two requests: the chosen gradient method, then IG. */
export function saturationRequests(models: DeckModels, text = BOW_SATURATED, method: MethodName = 'InputXGradient'): AttributionRequest[] {
  const spec = DEMOS['bow-saturation'] as BowDemoSpec
  return [
    requestFor(spec, models, { text, method }),
    { model: models.bow, method: SATURATION_IG.method, options: SATURATION_IG.options, input: { type: 'text', text }, target: null },
  ]
}

/** The requests of the multi-request demos. */
export function compareRequests(models: DeckModels, text = BOW_COMPARE): AttributionRequest[] {
  return COMPARE_METHODS.map(m => ({ model: models.bow, method: m.method, options: m.options ?? {}, input: { type: 'text', text }, target: null }))
}

/** The LLM side by side: every method of COMPARE_LLM_METHODS on one prompt and target. */
export function compareLlmRequests(models: DeckModels, prompt = PALM_COAST_PROMPT, target = PALM_COAST_TARGET): AttributionRequest[] {
  return COMPARE_LLM_METHODS.map(m => ({ model: models.llm, method: m.method, options: m.options ?? {}, input: { type: 'text', text: prompt }, target }))
}

export function faithfulnessRequests(models: DeckModels, prompt = PALM_COAST_PROMPT, target = PALM_COAST_TARGET): AttributionRequest[] {
  return FAITHFULNESS_METHODS.map(m => ({
    model: models.llm,
    method: m.method,
    options: { ...(m.options ?? {}), seed: 0 },
    input: { type: 'text', text: prompt },
    target,
    metrics: FAITHFULNESS_METRICS,
  }))
}

/** Every default request of the deck, by demo id (multi-request demos get `id#i`). */
export function allDefaultRequests(models: DeckModels): Array<{ id: string, request: AttributionRequest }> {
  const out = Object.entries(DEMOS).map(([id, spec]) => ({ id, request: requestFor(spec, models) }))
  out.push({ id: 'bow-saturation#1', request: saturationRequests(models)[1]! })
  compareRequests(models).forEach((request, i) => out.push({ id: `compare-bow#${i}`, request }))
  compareLlmRequests(models).forEach((request, i) => out.push({ id: `compare-llm#${i}`, request }))
  faithfulnessRequests(models).forEach((request, i) => out.push({ id: `faithfulness#${i}`, request }))
  return out
}
