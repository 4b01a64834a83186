/**
 * One BoW attribution request end to end: preprocessing → dense count vector → the
 * method from `engine/methods` on the model adapter's contracts → per-word scores.
 *
 * Conventions (those of the Captum reference, `captum-reference/README.md` Part 1):
 *  - x is the float32 count vector over the vocabulary; baseline 0.
 *  - Perturbation methods: feature group g = g-th present vocab index (ascending) plus one
 *    "rest" group of all absent entries (a null player that still counts in sampling).
 *  - `words`/`scores` are per distinct model token in ascending vocab-index order; the
 *    score is the attribution at that token's vocab index.
 *  - Defaults follow the course notebook where it set them (GradientShap nSamples 20 with
 *    baselines {0, U[0, 0.05)}, NoiseTunnel smoothgrad ntSamples 10 stdevs 0.1), Captum's
 *    elsewhere (IG nSteps 50 gausslegendre, SVS nSamples 25, Lime/KernelShap nSamples 50/25).
 *  - Metrics (IG attributions, as the notebook): `infidelity` with I ~ N(0, 0.01²) and
 *    x_i = x − I — the sign consistent with Captum's f(x) − f(x_i). The notebook's
 *    perturb_fn returns x + I; pass `options.infidelityPerturb = 'notebook'` for it.
 *    `sensitivityMax`: Captum's defaults (U(−0.02, 0.02), 10 samples).
 */
import type { AttributionRequest, BowResponse, MethodOptions } from '../api'
import type { ModelFiles } from '../core/files'
import type { RunControl } from '../core/types'
import type { AlignmentEntry } from '../inputs/bow-preprocess'
import type { DeepLiftModel, GradientResult } from '../methods'
import type { PerturbFunc } from '../metrics'
import type { MetricsSubject } from '../metrics/stage'
import type { TfBackendName } from '../models/tf-backend'
import type { MethodsOfKind } from '../registry'
import type { IgPath } from './ig-path'
import { AttributionError, throwIfAborted } from '../core/errors'
import { Rng } from '../core/rng'
import { preprocessBow } from '../inputs/bow-preprocess'
import {
  DeepLift,

  FeatureAblation,

  GradientShap,
  InputXGradient,
  IntegratedGradients,
  KernelShap,
  Lime,
  NoiseTunnel,
  Saliency,
  ShapleyValues,
  ShapleyValueSampling,
} from '../methods'
import { gaussianPerturbation, infidelity, sensitivityMax } from '../metrics'
import { BowModel } from '../models/bow-model'
import { withDefaults } from '../registry'
import { igPath } from './ig-path'

const modelCache = new Map<string, Promise<BowModel>>()

/** Runtime choices passed down from the engine environment (engine/run.ts). */
export interface BowRuntimeOptions {
  /** tfjs backends to try, in order (default: initTfBackend's). */
  prefer?: TfBackendName[]
  /** Same-origin URLs of the tfjs-backend-wasm binaries. */
  wasmPaths?: Record<string, string>
  /** Told which backend runs the model (the slide's badge). */
  onBackend?: (backend: string) => void
}

/**
 * The BoW model of a folder, loaded once per location (and per backend preference).
 *
 * @example
 * const model = await loadBowModel(nodeFiles('public/models/bow'))
 */
export function loadBowModel(files: ModelFiles, prefer?: TfBackendName[], wasmPaths?: Record<string, string>): Promise<BowModel> {
  const key = `${files.location}|${prefer?.join(',') ?? ''}`
  let p = modelCache.get(key)
  if (!p) {
    p = BowModel.load(files, { prefer, wasmPaths })
    p.catch(() => modelCache.delete(key))
    modelCache.set(key, p)
  }
  return p
}

/** Disposes and forgets every cached BoW model (tests, backend switches). */
export async function clearBowModelCache(): Promise<void> {
  const models = await Promise.allSettled([...modelCache.values()])
  modelCache.clear()
  for (const m of models) {
    if (m.status === 'fulfilled')
      m.value.dispose()
  }
}

/** The dense input, its alignment and the distinct words of a BoW request. */
export interface BowInput {
  x: Float64Array
  tokens: string[]
  alignment: AlignmentEntry[]
  /** Present vocab indices, ascending (= perturbation groups 0…k−1). */
  presentIndices: number[]
  words: string[]
}

/**
 * Turns a request input into the model's count vector.
 *
 * @example
 * const { x, words } = bowInput(model, { type: 'text', text: 'I love this game!' }) // words ['game', 'love']
 */
export function bowInput(model: BowModel, input: AttributionRequest['input']): BowInput {
  const pre = model.config.preprocess
  let tokens: string[]
  let alignment: AlignmentEntry[]
  if (input.type === 'text') {
    if (typeof input.text !== 'string')
      throw new AttributionError('bad-request', 'input.text must be a string.')
    const p = preprocessBow(input.text, pre, model.vocabIndex)
    tokens = p.tokens
    alignment = p.alignment
  }
  else if (input.type === 'tokens') {
    // Already the model's tokens: unknown ones become <UNK>, the last maxLen are kept.
    const mapped = input.tokens.map(t => (model.vocabIndex.has(t) ? t : pre.unkToken))
    const nDrop = Math.max(0, mapped.length - pre.maxLen)
    alignment = []
    mapped.forEach((t, i) => {
      if (i > 0)
        alignment.push({ text: ' ', token: null, status: 'space' })
      alignment.push({ text: input.tokens[i]!, token: t, status: i < nDrop ? 'dropped' : t === input.tokens[i] ? 'used' : 'unk' })
    })
    tokens = mapped.slice(nDrop)
  }
  else {
    throw new AttributionError('bad-request', 'The BoW model takes text or tokens, not a template.')
  }
  const x = model.vectorize(tokens)
  const { presentIndices } = model.featureGroups(x)
  return { x, tokens, alignment, presentIndices, words: presentIndices.map(i => model.config.vocab[i]!) }
}

/** Integrated-gradients settings shared by the IG method and the metrics. */
function igOptions(o: MethodOptions) {
  return {
    nSteps: o.nSteps ?? 50,
    method: (o.method ?? 'gausslegendre') as 'gausslegendre',
    internalBatchSize: o.internalBatchSize,
  }
}

/**
 * Lime's similarity as Captum computes it for this model: exp(−d²/2) with d = 1 − cos(x, x′)
 * in the dense input space (not the binary coalition space).
 *
 * @example
 * bowLimeSimilarity(x, [3, 7])(Uint8Array.of(1, 1, 0)) // 1 (all words kept)
 */
export function bowLimeSimilarity(x: Float64Array, presentIndices: number[]): (mask: Uint8Array) => number {
  return (mask) => {
    // x' keeps the present words whose bit is 1; absent entries are 0 either way.
    let dot = 0
    let nx = 0
    let np = 0
    presentIndices.forEach((idx, g) => {
      const v = x[idx]!
      nx += v * v
      if (mask[g]) {
        dot += v * v
        np += v * v
      }
    })
    // torch CosineSimilarity(eps=1e-8): an all-zero side gives cos 0.
    const cos = dot / Math.max(Math.sqrt(nx) * Math.sqrt(np), 1e-8)
    const d = 1 - cos
    return Math.exp(-(d * d) / 2)
  }
}

/** Everything a BoW method or metric needs for one request: the model, its input, target and adapters. */
interface BowRun {
  model: BowModel
  input: BowInput
  x: Float64Array
  presentIndices: number[]
  /** The explained class. */
  target: number
  /** [p(class 0), p(class 1)] at x. */
  probs: number[]
  grad: ReturnType<BowModel['gradientFn']>
  forward: ReturnType<BowModel['scalarForward']>
  ig: IntegratedGradients
  /** The request's options, the registry's defaults filled in. */
  o: MethodOptions
  seed: number
}

/** What a method returns: dense attributions over the vocabulary, or one per feature group. */
type BowMethodResult = { dense: ArrayLike<number>, convergenceDelta?: number | null } | { groupScores: number[], convergenceDelta?: undefined }

type BowRunner = (run: BowRun, control?: RunControl) => Promise<BowMethodResult>

const gradient = (r: GradientResult): BowMethodResult => ({ dense: r.attributions, convergenceDelta: r.delta ?? null })

/** The mask forward, feature count and common options of the perturbation methods. */
function perturbation(run: BowRun) {
  const { forward } = run.model.maskForward(run.x, run.target)
  return { forward, common: { nFeatures: run.presentIndices.length + 1, perturbationsPerEval: run.o.perturbationsPerEval } }
}

/**
 * The run function of every method the registry gives the BoW model (the compiler checks
 * that none is missing): each calls its algorithm from `engine/methods/` on the model's
 * adapters.
 */
const BOW_RUNNERS = {
  FeatureAblation: async (run, control) => {
    const { forward, common } = perturbation(run)
    return { groupScores: (await new FeatureAblation(forward).attribute(common, control)).attributions[0]! }
  },
  ShapleyValues: async (run, control) => {
    const { forward, common } = perturbation(run)
    return { groupScores: (await new ShapleyValues(forward).attribute(common, control)).attributions[0]! }
  },
  ShapleyValueSampling: async (run, control) => {
    const { forward, common } = perturbation(run)
    return { groupScores: (await new ShapleyValueSampling(forward).attribute({ ...common, nSamples: run.o.nSamples, seed: run.seed }, control)).attributions[0]! }
  },
  KernelShap: async (run, control) => {
    const { forward, common } = perturbation(run)
    return { groupScores: (await new KernelShap(forward).attribute({ ...common, nSamples: run.o.nSamples, seed: run.seed }, control)).attributions[0]! }
  },
  Lime: async (run, control) => {
    const { forward, common } = perturbation(run)
    const similarity = bowLimeSimilarity(run.x, run.presentIndices)
    return { groupScores: (await new Lime(forward).attribute({ ...common, nSamples: run.o.nSamples, seed: run.seed, alpha: run.o.alpha, similarity }, control)).attributions[0]! }
  },
  IntegratedGradients: async (run, control) => gradient(await run.ig.attribute({ inputs: run.x, baselines: 0, ...igOptions(run.o) }, control)),
  Saliency: async (run, control) => gradient(await new Saliency(run.grad).attribute({ inputs: run.x, abs: run.o.abs }, control)),
  InputXGradient: async (run, control) => gradient(await new InputXGradient(run.grad).attribute({ inputs: run.x }, control)),
  DeepLift: async (run, control) => {
    const dlModel: DeepLiftModel = {
      multipliers: async (xi, b, variant) => (await run.model.deepLiftMultipliers([xi], [b], run.target, variant)).multipliers[0]!,
      forward: run.forward,
    }
    return gradient(await new DeepLift(dlModel).attribute({ inputs: run.x, baselines: 0, variant: run.o.deepLiftVariant }, control))
  },
  GradientShap: async (run, control) => {
    // The course's baseline distribution: zeros and one U[0, 0.05) row (seeded).
    const rng = new Rng(run.seed + 0x9E37)
    const random = Float64Array.from({ length: run.x.length }, () => Math.fround(rng.uniformRange(0, 0.05)))
    const o = run.o
    const r = await new GradientShap(run.grad, run.forward).attribute({ inputs: run.x, baselines: [new Float64Array(run.x.length), random], nSamples: o.nSamples, stdevs: o.stdevs, seed: run.seed, internalBatchSize: o.internalBatchSize }, control)
    return { dense: r.attributions }
  },
  NoiseTunnel: async (run, control) => {
    const o = run.o
    const common = { ntType: o.ntType, ntSamples: o.ntSamples, stdevs: o.stdevs, seed: run.seed }
    let r: GradientResult
    if (o.baseMethod === 'IntegratedGradients')
      r = await new NoiseTunnel(run.ig).attribute({ ...common, methodOptions: { inputs: run.x, baselines: 0, ...igOptions(o) } }, control)
    else if (o.baseMethod === 'Saliency')
      r = await new NoiseTunnel(new Saliency(run.grad)).attribute({ ...common, methodOptions: { inputs: run.x, abs: o.abs ?? true } }, control)
    else if (o.baseMethod === 'InputXGradient')
      r = await new NoiseTunnel(new InputXGradient(run.grad)).attribute({ ...common, methodOptions: { inputs: run.x } }, control)
    else
      throw new AttributionError('bad-request', `NoiseTunnel on BoW wraps IntegratedGradients, Saliency or InputXGradient (got ${o.baseMethod}).`)
    return { dense: r.attributions }
  },
} satisfies Record<MethodsOfKind<'bow'>, BowRunner>

/** Loads the model (cached), reads the input and settles the target: the start of every BoW run. */
async function prepareBowRun(request: AttributionRequest, files: ModelFiles, control: RunControl | undefined, runtime: BowRuntimeOptions): Promise<BowRun> {
  // The registry's request defaults (engine/registry.ts), then the request's own options.
  // runRequest has filled them in already; the tests and bench-bow call this directly.
  const o: MethodOptions = withDefaults(request.method, 'bow', request.options)
  control?.onProgress?.({ done: 0, total: 1, phase: 'loading model' })
  const model = await loadBowModel(files, runtime.prefer, runtime.wasmPaths)
  runtime.onBackend?.(model.backend)
  throwIfAborted(control?.signal)
  const input = bowInput(model, request.input)
  const { x, presentIndices } = input
  const [probs] = await model.predict([x])
  let target: number
  if (request.target === null || request.target === undefined) {
    target = probs![1]! > probs![0]! ? 1 : 0 // argmax; ties → class 0, like torch.argmax
  }
  else {
    target = typeof request.target === 'string' ? model.config.labels.indexOf(request.target) : request.target
    if (!Number.isInteger(target) || target < 0 || target >= model.nClasses)
      throw new AttributionError('bad-request', `BoW target must be a class index or one of ${model.config.labels.join('/')} (got ${JSON.stringify(request.target)}).`)
  }
  const grad = model.gradientFn(target)
  const forward = model.scalarForward(target)
  return { model, input, x, presentIndices, target, probs: probs!, grad, forward, ig: new IntegratedGradients(grad, forward), o, seed: o.seed ?? 0 }
}

/**
 * Runs one BoW attribution request (its method; `request.metrics` are the metrics
 * stage's, see `runBow`).
 *
 * @example
 * const res = await runBowRequest({ model: 'public/models/bow', method: 'IntegratedGradients', input: { type: 'text', text: 'I love this game!' } }, nodeFiles('public/models/bow'))
 * res.words // ['game', 'love']; res.scores // per word; res.convergenceDelta ≈ 0
 */
export async function runBowRequest(request: AttributionRequest, files: ModelFiles, control?: RunControl, runtime: BowRuntimeOptions = {}): Promise<BowResponse> {
  return (await runBow(request, files, control, runtime)).response
}

/**
 * The method's response, and what the metrics stage measures for it, on the same
 * prepared run (the model, input and target are settled once).
 *
 * @example
 * const { response, metricsSubject } = await runBow(request, files)
 * await metricsStage(['infidelity'], metricsSubject())
 */
export async function runBow(request: AttributionRequest, files: ModelFiles, control?: RunControl, runtime: BowRuntimeOptions = {}): Promise<{ response: BowResponse, metricsSubject: () => MetricsSubject }> {
  const started = performance.now()
  const run = await prepareBowRun(request, files, control, runtime)
  const { model, input, x, presentIndices, probs } = run
  const calls0 = model.forwardCalls
  const rows0 = model.rowsEvaluated
  if (!Object.hasOwn(BOW_RUNNERS, request.method))
    throw new AttributionError('bad-request', `Method ${request.method} is not available for the BoW model.`)
  const result = await BOW_RUNNERS[request.method as MethodsOfKind<'bow'>](run, control)

  const scores: number[] = 'groupScores' in result
    ? presentIndices.map((_, g) => result.groupScores[g]!)
    : presentIndices.map(i => result.dense[i]!)
  if (scores.some(v => !Number.isFinite(v)))
    throw new AttributionError('backend', 'The attribution produced a non-finite score.')

  const res: BowResponse & { igPath?: IgPath } = {
    kind: 'bow',
    words: input.words,
    scores,
    target: run.target,
    probabilities: [probs[0]!, probs[1]!],
    convergenceDelta: 'convergenceDelta' in result ? result.convergenceDelta ?? null : null,
    alignment: input.alignment,
    stats: { forwardCalls: 0, rows: 0, ms: 0, tokens: input.tokens.length, backend: model.backend },
  }

  // `options.igPath: true` (IG only): the path point by point, for the IG explorable.
  if (request.method === 'IntegratedGradients' && run.o.igPath === true) {
    const { nSteps, method } = igOptions(run.o)
    res.igPath = await igPath(run.grad, run.forward, x, presentIndices, nSteps, method)
  }

  res.stats = {
    forwardCalls: model.forwardCalls - calls0,
    rows: model.rowsEvaluated - rows0,
    ms: performance.now() - started,
    tokens: input.tokens.length,
    backend: model.backend,
  }
  control?.onProgress?.({ done: 1, total: 1, phase: request.method })
  return { response: res, metricsSubject: () => bowMetricsSubject(run, res) }
}

/**
 * What the metrics stage (engine/metrics/stage.ts) measures for a BoW response: its
 * per-word scores over the mask forward of the present words (the rest group, a null
 * player, scores 0), and Captum's infidelity and sensitivity_max of the IG attributions
 * on the count vector, as the course notebook computes them.
 */
function bowMetricsSubject(run: BowRun, response: BowResponse): MetricsSubject {
  const { x, o, seed } = run
  const explain = async (xi: Float64Array, signal?: AbortSignal) => (await run.ig.attribute({ inputs: xi, baselines: 0, ...igOptions(o) }, { signal })).attributions
  return {
    attributions: [...response.scores, 0],
    maskForward: () => run.model.maskForward(x, run.target).forward,
    infidelity: async (sub) => {
      const igAttr = await explain(x, sub.signal)
      const perturb: PerturbFunc = o.infidelityPerturb === 'notebook'
        ? (xi, rng) => {
            const I = xi.map(() => rng.normal(0, 0.01))
            return { I, xPerturbed: xi.map((v, e) => v + I[e]!) }
          }
        : gaussianPerturbation(0.01)
      return infidelity(run.forward, x, igAttr, perturb, { nPerturbSamples: 10, seed: seed + 6 }, { signal: sub.signal })
    },
    sensitivityMax: sub => sensitivityMax(xi => explain(xi, sub.signal), x, { perturbRadius: 0.02, nPerturbSamples: 10, seed: seed + 7 }, { signal: sub.signal }),
    seed,
    perturbationsPerEval: o.perturbationsPerEval,
  }
}
