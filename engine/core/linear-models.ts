/**
 * The interpretable (surrogate) models of Lime and KernelShap, reproducing the sklearn
 * estimators Captum 0.8 fits (sklearn 1.2): `LinearRegression` (KernelShap) and
 * `Lasso(alpha)` (Lime), both with `fit_intercept=True` and `sample_weight`.
 *
 * Both follow sklearn's dense path: weighted means center X and y, rows are scaled by
 * √w, then a least-squares solve (LAPACK gelsd ≈ SVD with a relative cutoff) or
 * cyclic coordinate descent with the duality-gap stopping rule; the intercept is
 * `ȳ − x̄·coef`. We compute in float64 where sklearn ran on float32 data, so results
 * agree to float32 noise, not bitwise.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix'
import { AttributionError } from './errors'

export interface LinearFit {
  /** [nFeatures] */
  coef: number[]
  intercept: number
}

export interface LassoFit extends LinearFit {
  /** Coordinate-descent epochs run (sklearn's `n_iter_`). */
  nIter: number
  /** Final duality gap (sklearn's `dual_gap_`, in the scaled objective). */
  dualGap: number
}

/** float32 machine epsilon: scipy's default `cond` for float32 `lstsq`. */
export const FLOAT32_EPS = 1.1920928955078125e-7

function checkData(X: ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>): { n: number, p: number } {
  const n = X.length
  if (n === 0)
    throw new AttributionError('empty-input', 'Cannot fit a surrogate model on zero samples.')
  if (y.length !== n || w.length !== n)
    throw new AttributionError('bad-request', `Surrogate fit: ${n} rows but ${y.length} targets and ${w.length} weights.`)
  const p = X[0]!.length
  let sw = 0
  for (let i = 0; i < n; i++) {
    if (X[i]!.length !== p)
      throw new AttributionError('bad-request', 'Surrogate fit: rows of different lengths.')
    if (!Number.isFinite(y[i]!) || !(w[i]! >= 0) || !Number.isFinite(w[i]!))
      throw new AttributionError('bad-request', 'Surrogate fit: non-finite target or negative/non-finite weight.')
    sw += w[i]!
  }
  if (!(sw > 0))
    throw new AttributionError('bad-request', 'Surrogate fit: all sample weights are zero.')
  return { n, p }
}

/**
 * sklearn's `_preprocess_data` + `_rescale_data`: weighted-mean centering, then rows
 * scaled by √w. Returns column-major scaled X (`cols[j]` = column j, [n]) and y.
 */
function centerAndScale(X: ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>, n: number, p: number) {
  let sw = 0
  for (let i = 0; i < n; i++) sw += w[i]!
  const xOffset = new Float64Array(p)
  let yOffset = 0
  for (let i = 0; i < n; i++) {
    const wi = w[i]!
    const row = X[i]!
    for (let j = 0; j < p; j++) xOffset[j]! += wi * row[j]!
    yOffset += wi * y[i]!
  }
  for (let j = 0; j < p; j++) xOffset[j] = xOffset[j]! / sw
  yOffset /= sw
  const cols: Float64Array[] = Array.from({ length: p }, () => new Float64Array(n))
  const yc = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const s = Math.sqrt(w[i]!)
    const row = X[i]!
    for (let j = 0; j < p; j++) cols[j]![i] = (row[j]! - xOffset[j]!) * s
    yc[i] = (y[i]! - yOffset) * s
  }
  return { cols, yc, xOffset, yOffset }
}

function interceptOf(coef: ArrayLike<number>, xOffset: Float64Array, yOffset: number): number {
  let s = yOffset
  for (let j = 0; j < xOffset.length; j++) s -= xOffset[j]! * coef[j]!
  return s
}

/**
 * sklearn `LinearRegression(fit_intercept=True).fit(X, y, sample_weight=w)`: weighted
 * least squares with an intercept, solved by SVD on the √w-scaled centered rows
 * (never by normal equations: KernelShap's 1e6 weights make XᵀWX ill-conditioned).
 * Singular values below `rcond · s_max` are dropped, giving the minimum-norm solution
 * like LAPACK's gelsd; `rcond` defaults to float32 eps as scipy uses for float32 data.
 *
 * @example
 * // y = 1 + 2·x0 − x1, exactly
 * weightedLinearRegression([[0, 0], [1, 0], [0, 1], [1, 1]], [1, 3, 0, 2], [1, 1, 1, 1e6])
 * // → { coef: [2, -1], intercept: 1 }
 */
export function weightedLinearRegression(X: ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>, rcond = FLOAT32_EPS): LinearFit {
  const { n, p } = checkData(X, y, w)
  const { cols, yc, xOffset, yOffset } = centerAndScale(X, y, w, n, p)
  const A = new Matrix(n, p)
  for (let j = 0; j < p; j++) {
    const c = cols[j]!
    for (let i = 0; i < n; i++) A.set(i, j, c[i]!)
  }
  const coef = Array.from({ length: p }, () => 0)
  // SVD of the [n, p] design; ml-matrix transposes wide matrices internally.
  const svd = new SingularValueDecomposition(A, { autoTranspose: true })
  const U = svd.leftSingularVectors // [n, r]
  const V = svd.rightSingularVectors // [p, r]
  const s = svd.diagonal // [r]
  const sMax = s.reduce((a, b) => Math.max(a, b), 0)
  if (sMax > 0) {
    for (let k = 0; k < s.length; k++) {
      if (!(s[k]! > rcond * sMax))
        continue
      // coef += v_k (u_kᵀ y) / s_k
      let uy = 0
      for (let i = 0; i < n; i++) uy += U.get(i, k) * yc[i]!
      const f = uy / s[k]!
      for (let j = 0; j < p; j++) coef[j]! += V.get(j, k) * f
    }
  }
  return { coef, intercept: interceptOf(coef, xOffset, yOffset) }
}

export interface LassoOptions {
  /** sklearn's `alpha` (Captum Lime default 0.01). */
  alpha: number
  /** sklearn default 1000. */
  maxIter?: number
  /** sklearn default 1e-4 (scaled by ‖y_centered‖², as sklearn does). */
  tol?: number
}

/**
 * sklearn `Lasso(alpha, fit_intercept=True, max_iter=1000, tol=1e-4, selection='cyclic')`
 * `.fit(X, y, sample_weight=w)`, following sklearn 1.2's dense code path line by line:
 *
 * 1. w ← w · n / Σw; X, y centered on their w-weighted means; rows scaled by √w.
 * 2. `enet_coordinate_descent` with l1 = alpha·n, l2 = 0, starting from 0:
 *    per epoch, for each feature j in order, `w_j = sign(ρ)·max(|ρ| − l1, 0) / ‖X_j‖²`
 *    with ρ = X_jᵀ(R + w_j X_j); after an epoch whose largest update is below
 *    tol·max|w| (or the last epoch), compute the duality gap and stop if it is below
 *    tol·‖y‖².
 * 3. intercept = ȳ − x̄·coef.
 *
 * Minimizes 1/(2n) Σ wᵢ (yᵢ − b − Xᵢ·c)² + α‖c‖₁ (weights rescaled to sum to n).
 *
 * @example
 * lasso([[0], [1], [0], [1]], [0, 1, 0, 1], [1, 1, 1, 1], { alpha: 0.01 }).coef // [0.96]
 */
export function lasso(X: ArrayLike<number>[], y: ArrayLike<number>, w: ArrayLike<number>, opts: LassoOptions): LassoFit {
  const { n, p } = checkData(X, y, w)
  const alpha = opts.alpha
  if (!(alpha >= 0) || !Number.isFinite(alpha))
    throw new AttributionError('bad-request', `Lasso alpha must be a finite number ≥ 0 (got ${alpha}).`)
  const maxIter = opts.maxIter ?? 1000
  let tol = opts.tol ?? 1e-4
  // sklearn rescales sample weights to sum to n_samples.
  let sw = 0
  for (let i = 0; i < n; i++) sw += w[i]!
  const ws = Array.from({ length: n }, (_, i) => w[i]! * (n / sw))
  const { cols: Xc, yc, xOffset, yOffset } = centerAndScale(X, y, ws, n, p)

  const l1 = alpha * n // enet_path: l1_reg = alpha * l1_ratio * n_samples
  const beta = 0
  const coef = new Float64Array(p)
  const normCols = Xc.map((c) => {
    let s = 0
    for (let i = 0; i < n; i++) s += c[i]! * c[i]!
    return s
  })
  const R = Float64Array.from(yc) // R = y − X·0
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!
    return s
  }
  const dWTol = tol
  tol *= dot(yc, yc)
  let gap = tol + 1
  let nIter = 0
  for (let iter = 0; iter < maxIter; iter++) {
    nIter = iter + 1
    let wMax = 0
    let dWMax = 0
    for (let j = 0; j < p; j++) {
      if (normCols[j] === 0)
        continue
      const col = Xc[j]!
      const wOld = coef[j]!
      if (wOld !== 0) {
        for (let i = 0; i < n; i++) R[i]! += wOld * col[i]!
      }
      const tmp = dot(col, R)
      const wNew = Math.sign(tmp) * Math.max(Math.abs(tmp) - l1, 0) / (normCols[j]! + beta)
      coef[j] = wNew
      if (wNew !== 0) {
        for (let i = 0; i < n; i++) R[i]! -= wNew * col[i]!
      }
      dWMax = Math.max(dWMax, Math.abs(wNew - wOld))
      wMax = Math.max(wMax, Math.abs(wNew))
    }
    if (wMax === 0 || dWMax / wMax < dWTol || iter === maxIter - 1) {
      // Duality gap (sklearn's cd_fast.enet_coordinate_descent).
      let dualNormXtA = 0
      for (let j = 0; j < p; j++) dualNormXtA = Math.max(dualNormXtA, Math.abs(dot(Xc[j]!, R) - beta * coef[j]!))
      const rNorm2 = dot(R, R)
      let wNorm2 = 0
      let l1Norm = 0
      for (let j = 0; j < p; j++) {
        wNorm2 += coef[j]! * coef[j]!
        l1Norm += Math.abs(coef[j]!)
      }
      let cst: number
      if (dualNormXtA > l1) {
        cst = l1 / dualNormXtA
        gap = 0.5 * (rNorm2 + rNorm2 * cst * cst)
      }
      else {
        cst = 1
        gap = rNorm2
      }
      gap += l1 * l1Norm - cst * dot(R, yc) + 0.5 * beta * (1 + cst * cst) * wNorm2
      if (gap < tol)
        break
    }
  }
  const c = Array.from(coef)
  return { coef: c, intercept: interceptOf(c, xOffset, yOffset), nIter, dualGap: gap }
}
