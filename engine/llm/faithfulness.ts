/**
 * Faithfulness of token-level LLM attributions ("Which explanation should I trust?").
 * Captum's `infidelity` and `sensitivity_max` take tensors; here they are wired to the
 * interpretable features of an LLM input, and every model call goes through the same
 * batched MaskForward as the perturbation methods (same batching, progress, cancel, seed):
 *
 * - `deletion` / `insertion`: remove (add back) features in decreasing attribution order,
 *   follow the summed target log-prob, report AOPC and a seeded random-order baseline.
 * - `infidelity`: Captum's definition with perturbations that knock out random subsets of
 *   features (each feature replaced by its baseline with probability 1/4, at least one):
 *   I = x − x_pert in the binary space (1 where a feature was removed), so
 *   infidelity = mean_i (Σ_j I_ij φ_j − (f(x) − f(x_i)))².
 * - `sensitivityMax`: max over a few seeded positions j of ‖φ(x) − φ(x with token j
 *   replaced by its baseline)‖ / ‖φ(x)‖ (the explanation is recomputed on each).
 */
import type { AttributionRequest, LlmResponse } from '../api'
import type { MaskForward, RunControl } from '../core/types'
import type { MetricsSubject } from '../metrics/stage'
import type { CausalLm } from '../models/causal-lm'
import { Rng } from '../core/rng'
import { infidelity } from '../metrics'
import { interpretableForward } from './llm-attribution'
import { buildLlmInput } from './run-llm'

export interface LlmMetricsDeps {
  lm: CausalLm
  /** Runs the same method (no metrics) on another request (for sensitivity). */
  rerun: (request: AttributionRequest) => Promise<LlmResponse>
}

/** Probability that infidelity's perturbation removes a feature. */
const KNOCKOUT_P = 0.25

/**
 * What the metrics stage (engine/metrics/stage.ts) measures for an LLM response: its
 * `seqAttr` over the input's features, the summed target log-prob over masks of them,
 * and the token variants of infidelity and sensitivity.
 *
 * @example
 * const m = await metricsStage(['deletion'], llmMetricsSubject(request, response, { lm, rerun }))
 */
export function llmMetricsSubject(request: AttributionRequest, response: LlmResponse, deps: LlmMetricsDeps): MetricsSubject {
  const seed = request.options?.seed ?? 0
  // A fresh input per metric: a ProductBaselines draw sequence starts again from its seed.
  const maskForward = (): MaskForward => interpretableForward(deps.lm, buildLlmInput(request, deps.lm), response.targetIds, { perToken: false, attrTarget: request.options?.attrTarget ?? 'log_prob' })
  return {
    attributions: response.seqAttr,
    maskForward,
    infidelity: control => tokenInfidelity(maskForward(), response.seqAttr, seed, control),
    sensitivityMax: control => tokenSensitivity(request, response, deps, seed, control),
    seed,
    perturbationsPerEval: request.options?.perturbationsPerEval,
  }
}

async function tokenInfidelity(forward: MaskForward, phi: number[], seed: number, control: RunControl): Promise<number> {
  const M = phi.length
  const x = new Float64Array(M).fill(1)
  return infidelity(
    async rows => (await forward(rows.map(r => Uint8Array.from(r)))).map(o => o[0]!),
    x,
    phi,
    (_x, rng) => {
      const keep: number[] = Array.from({ length: M }, () => (rng.uniform() < KNOCKOUT_P ? 0 : 1))
      if (!keep.includes(0))
        keep[rng.randint(M)] = 0
      const xPerturbed = Float64Array.from(keep)
      return { I: xPerturbed.map(v => 1 - v), xPerturbed }
    },
    { nPerturbSamples: 10, seed },
    control,
  )
}

async function tokenSensitivity(request: AttributionRequest, response: LlmResponse, deps: LlmMetricsDeps, seed: number, control: RunControl): Promise<number | null> {
  const M = response.seqAttr.length
  const rng = new Rng(seed + 7)
  const positions = rng.permutation(M).slice(0, Math.min(3, M))
  const norm0 = Math.hypot(...response.seqAttr) || 1
  // Explain the same target ids on every perturbed input (a generated target is fixed now).
  const target = deps.lm.decode(response.targetIds)
  let best: number | null = null
  for (const [i, j] of positions.entries()) {
    control.onProgress?.({ done: i, total: positions.length, phase: 'sensitivity' })
    const perturbed = replaceFeature(request, response, deps.lm, j)
    if (!perturbed)
      continue
    const res = await deps.rerun({ ...perturbed, target, metrics: [] })
    // Re-tokenisation can merge the baseline into a neighbour: such a draw is skipped.
    if (res.seqAttr.length !== M)
      continue
    const d = Math.hypot(...res.seqAttr.map((v, e) => v - response.seqAttr[e]!)) / norm0
    best = best === null ? d : Math.max(best, d)
  }
  control.onProgress?.({ done: positions.length, total: positions.length, phase: 'sensitivity' })
  return best
}

/** The request with feature j replaced by its baseline (token id or slot baseline). */
function replaceFeature(request: AttributionRequest, response: LlmResponse, lm: CausalLm, j: number): AttributionRequest | null {
  const input = request.input
  if (input.type === 'text') {
    const ids = lm.encode(input.text)
    if (ids.length !== response.seqAttr.length)
      return null // skipTokens in play: positions do not map 1:1
    const b = request.options?.baselineToken ?? 0
    ids[j] = typeof b === 'number' ? b : lm.convertTokensToIds([b])[0]!
    return { ...request, input: { type: 'text', text: lm.decode(ids) } }
  }
  if (input.type === 'template') {
    const keys = Array.isArray(input.values) ? input.values.map((_, i) => i) : Object.keys(input.values)
    const key = keys[j]
    if (key === undefined)
      return null
    const fixed = input.baselines && !Array.isArray(input.baselines) ? input.baselines[key as string] : undefined
    const choice = input.productBaselines?.[key as string]?.[0] ?? fixed ?? ''
    const values = Array.isArray(input.values)
      ? input.values.map((v, i) => (i === key ? choice : v))
      : { ...input.values, [key]: choice }
    return { ...request, input: { ...input, values } }
  }
  return null
}
