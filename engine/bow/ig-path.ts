/**
 * The Integrated Gradients path, point by point, for the IG explorable slide: the
 * interpolated inputs x_α = x′ + α (x − x′) at the integration rule's alphas, their
 * output F(x_α), their gradient (per present word) and the running weighted sum of
 * (x − x′) ⊙ w ⊙ ∇F up to each α. At the last α the running sum is IG's attribution
 * (the same alphas, the same float32-cast weights as `IntegratedGradients`), and its
 * total is F(x) − F(x′) up to the convergence delta (completeness).
 *
 * All points go through ONE batched gradient call; a slider then only re-reads arrays.
 */
import type { IntegrationMethod } from '../core/quadrature'
import type { GradientFn, ScalarForward } from '../core/types'
import { approximationParameters } from '../core/quadrature'

export interface IgPath {
  method: string
  /** Ascending alphas of the rule (Gauss–Legendre nodes, or the Riemann grid). */
  alphas: number[]
  /** The rule's weights, as IG uses them (float32-cast). */
  weights: number[]
  /** F(x_α) at each alpha (the explained class's output). */
  outputs: number[]
  /** [alpha][word]: ∂F/∂x at x_α, at each present word's vocabulary index. */
  grads: number[][]
  /** [alpha][word]: Σ over alphas ≤ this one of (x − x′)·w·∂F/∂x. The last row is IG. */
  running: number[][]
  /** F(x′) (the all-zero baseline) and F(x). */
  baselineOutput: number
  inputOutput: number
}

/**
 * Computes the path of IG from the zero baseline to `x`, at `presentIndices`.
 *
 * @example
 * const p = await igPath(model.gradientFn(t), model.scalarForward(t), x, [3, 7], 50)
 * p.running.at(-1) // = IG attributions of words 3 and 7
 */
export async function igPath(grad: GradientFn, forward: ScalarForward, x: Float64Array, presentIndices: number[], nSteps = 50, method: IntegrationMethod | string = 'gausslegendre'): Promise<IgPath> {
  const { alphas, weights } = approximationParameters(method, nSteps)
  // The slider walks α upwards; Gauss–Legendre nodes may come in either order.
  const order = alphas.map((_, s) => s).sort((a, b) => alphas[a]! - alphas[b]!)
  const sortedAlphas = order.map(s => alphas[s]!)
  const sortedWeights = order.map(s => Math.fround(weights[s]!))
  const points = sortedAlphas.map(a => x.map(v => a * v))
  const res = await grad(points)
  const grads = res.grads.map(g => presentIndices.map(i => g[i]!))
  const running: number[][] = []
  let acc = presentIndices.map(() => 0)
  grads.forEach((g, s) => {
    acc = acc.map((v, k) => v + x[presentIndices[k]!]! * sortedWeights[s]! * g[k]!)
    running.push(acc)
  })
  const [fx, fb] = await forward([x, new Float64Array(x.length)])
  return { method, alphas: sortedAlphas, weights: sortedWeights, outputs: res.outputs.slice(), grads, running, baselineOutput: fb!, inputOutput: fx! }
}
