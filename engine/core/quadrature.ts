/**
 * Integration rules for the path methods (IntegratedGradients, LayerIntegratedGradients),
 * exactly as Captum 0.8's `approximation_methods.py` builds them: Gauss–Legendre from
 * `numpy.polynomial.legendre.leggauss`, and the Riemann rules from `torch.linspace` in
 * float32 with Captum's (not textbook) trapezoid weights.
 */
import { AttributionError } from './errors'

export type IntegrationMethod = 'gausslegendre' | 'riemann_trapezoid' | 'riemann_left' | 'riemann_right' | 'riemann_middle'

export const INTEGRATION_METHODS: readonly IntegrationMethod[] = ['gausslegendre', 'riemann_trapezoid', 'riemann_left', 'riemann_right', 'riemann_middle']

/**
 * Gauss–Legendre nodes and weights on [−1, 1], equal (to ~1e-15) to numpy's
 * `leggauss(n)`: nodes ascending, weights symmetric and summing to 2.
 * Newton's method on the Legendre recurrence, started from Tricomi's approximation.
 *
 * @example
 * leggauss(2) // { nodes: [-0.5773502691896257, 0.5773502691896257], weights: [1, 1] }
 */
export function leggauss(n: number): { nodes: number[], weights: number[] } {
  if (!Number.isInteger(n) || n < 1)
    throw new AttributionError('bad-request', `Gauss–Legendre needs a positive integer number of points (got ${n}).`)
  const nodes = Array.from<number>({ length: n })
  const weights = Array.from<number>({ length: n })
  const half = Math.ceil(n / 2)
  for (let i = 0; i < half; i++) {
    // i-th largest root; Tricomi's initial guess is accurate to O(n^-4).
    let x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5))
    let dp = 0
    for (let iter = 0; iter < 100; iter++) {
      // P_n(x) and P_{n-1}(x) by the three-term recurrence.
      let p0 = 1
      let p1 = x
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        p0 = p1
        p1 = p2
      }
      const pn = n === 1 ? x : p1
      const pnm1 = n === 1 ? 1 : p0
      dp = n * (x * pn - pnm1) / (x * x - 1)
      const dx = pn / dp
      x -= dx
      if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x)))
        break
    }
    // Final derivative at the converged root for the weight.
    let p0 = 1
    let p1 = x
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
      p0 = p1
      p1 = p2
    }
    const pnm1 = n === 1 ? 1 : p0
    const pn = n === 1 ? x : p1
    dp = n * (x * pn - pnm1) / (x * x - 1)
    const w = 2 / ((1 - x * x) * dp * dp)
    // Fill symmetric pairs (ascending order: index n-1-i gets +x).
    nodes[n - 1 - i] = x
    nodes[i] = -x
    weights[n - 1 - i] = w
    weights[i] = w
  }
  if (n % 2 === 1)
    nodes[(n - 1) / 2] = 0
  // numpy rescales the weights to sum exactly to 2.
  const s = weights.reduce((a, b) => a + b, 0)
  for (let i = 0; i < n; i++)
    weights[i] = weights[i]! * (2 / s)
  return { nodes, weights }
}

/**
 * `torch.linspace(start, end, steps)` on a float32 tensor, widened to double as
 * `.tolist()` does (start/end are cast to float32 first; step and products in float32;
 * the second half is computed from the end, as PyTorch's CPU kernel does).
 *
 * @example
 * torchLinspaceF32(0, 1, 3) // [0, 0.5, 1]
 */
export function torchLinspaceF32(start: number, end: number, steps: number): number[] {
  const f = Math.fround
  const s = f(start)
  const e = f(end)
  if (steps === 1)
    return [s]
  const step = f(f(e - s) / (steps - 1))
  const halfway = Math.floor(steps / 2)
  const out = Array.from<number>({ length: steps })
  for (let i = 0; i < steps; i++)
    out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)))
  return out
}

/**
 * Captum's `approximation_parameters(method)(nSteps)`: the alphas at which the path is
 * evaluated and the step sizes that multiply the gradients. Weights are Python doubles;
 * Captum casts them to float32 when it multiplies (see `IntegratedGradients`).
 *
 * - gausslegendre: alpha = ½(1 + ξ), w = ½ w_GL (ascending alphas, Σw = 1).
 * - riemann_trapezoid: alpha = linspace(0, 1, n), w = 1/n with both ends halved
 *   (Σw = (n−1)/n — Captum's rule, deliberately not "fixed").
 * - riemann_left / right / middle: linspace(0, 1−1/n) / (1/n, 1) / (1/(2n), 1−1/(2n)), w = 1/n.
 *
 * @example
 * approximationParameters('riemann_trapezoid', 3) // { alphas: [0, 0.5, 1], weights: [1/6, 1/3, 1/6] }
 */
export function approximationParameters(method: IntegrationMethod | string, nSteps: number): { alphas: number[], weights: number[] } {
  if (!Number.isInteger(nSteps) || nSteps < 1)
    throw new AttributionError('bad-request', `nSteps must be a positive integer (got ${nSteps}).`)
  if (method === 'gausslegendre') {
    const { nodes, weights } = leggauss(nSteps)
    return { alphas: nodes.map(x => 0.5 * (1 + x)), weights: weights.map(w => 0.5 * w) }
  }
  if (!INTEGRATION_METHODS.includes(method as IntegrationMethod))
    throw new AttributionError('bad-request', `Unknown integration method "${method}" (use ${INTEGRATION_METHODS.join(', ')}).`)
  // Captum asserts n > 1 for the Riemann rules.
  if (nSteps < 2)
    throw new AttributionError('bad-request', 'The Riemann rules need nSteps ≥ 2.')
  const n = nSteps
  const weights = Array.from({ length: n }, () => 1 / n)
  let alphas: number[]
  if (method === 'riemann_trapezoid') {
    weights[0] = weights[0]! / 2
    weights[n - 1] = weights[n - 1]! / 2
    alphas = torchLinspaceF32(0, 1, n)
  }
  else if (method === 'riemann_left') {
    alphas = torchLinspaceF32(0, 1 - 1 / n, n)
  }
  else if (method === 'riemann_middle') {
    alphas = torchLinspaceF32(1 / (2 * n), 1 - 1 / (2 * n), n)
  }
  else {
    alphas = torchLinspaceF32(1 / n, 1, n)
  }
  return { alphas, weights }
}
