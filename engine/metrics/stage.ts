/**
 * The metrics stage: after a method has run, one place computes the request's
 * explanation metrics, for both model kinds. A kind hands over a `MetricsSubject`: the
 * explained features' attributions, the model over masks of those features, and its own
 * infidelity and sensitivity (Captum's definitions on the BoW input vector; the token
 * variants on the LLM). The deletion and insertion curves run here, on the mask forward,
 * the same way for both.
 */
import type { MaskForward, RunControl } from '../core/types'
import type { MetricName } from '../registry'
import { AttributionError } from '../core/errors'
import { deletionCurve, insertionCurve } from './faithfulness'

/** What the stage needs from a model kind for one explained input. */
export interface MetricsSubject {
  /** One attribution per feature of `maskForward`, in its order (the curves rank by them). */
  attributions: number[]
  /**
   * The model over masks of those features ([nRows] → [[score]]; output 0 is followed).
   * Built fresh for every metric, so that a stochastic input restarts from its seed.
   */
  maskForward: () => MaskForward
  infidelity: (control: RunControl) => Promise<number>
  sensitivityMax: (control: RunControl) => Promise<number | null>
  seed: number
  perturbationsPerEval?: number
}

/**
 * Computes `metrics` on `subject`, in the order asked, each with its own progress phase.
 *
 * @example
 * const m = await metricsStage(['deletion', 'infidelity'], subject, control)
 * m.deletion.aopc // higher: deleting the top-ranked features hurts the target more
 */
export async function metricsStage(metrics: readonly MetricName[], subject: MetricsSubject, control?: RunControl): Promise<Partial<Record<MetricName, unknown>>> {
  if (metrics.length > 0 && subject.attributions.length === 0)
    throw new AttributionError('empty-input', 'There are no features to measure.')
  const out: Partial<Record<MetricName, unknown>> = {}
  const curve = { outputIndex: 0, nRandom: 5, seed: subject.seed, perturbationsPerEval: subject.perturbationsPerEval }
  for (const metric of metrics) {
    const sub: RunControl = { signal: control?.signal, onProgress: p => control?.onProgress?.({ ...p, phase: metric }) }
    if (metric === 'deletion')
      out.deletion = await deletionCurve(subject.maskForward(), subject.attributions, curve, sub)
    else if (metric === 'insertion')
      out.insertion = await insertionCurve(subject.maskForward(), subject.attributions, curve, sub)
    else if (metric === 'infidelity')
      out.infidelity = await subject.infidelity(sub)
    else
      out.sensitivityMax = await subject.sensitivityMax(sub)
  }
  return out
}
