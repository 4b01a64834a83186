import type { RandomGenerator } from 'pure-rand'
/**
 * Seeded random numbers shared by every stochastic method and metric. Built on
 * `pure-rand`'s xoroshiro128+ so that Node and the browser draw the very same stream for
 * the same seed (Math.random would not). We cannot reproduce torch's or numpy's streams,
 * so the draws are ours; tests compare stochastic results statistically or replay
 * Captum's recorded draws through each method's injection options.
 */
import { unsafeUniformIntDistribution, xoroshiro128plus } from 'pure-rand'
import { AttributionError } from './errors'

/** 2^-53: turns a 53-bit integer into a double in [0, 1). */
const TWO_POW_M53 = 1 / 9007199254740992

/**
 * A seeded, mutable random stream.
 *
 * @example
 * const rng = new Rng(42)
 * rng.uniform() // 0.83… (same value in Node and in Chromium)
 * rng.permutation(4) // e.g. [2, 0, 3, 1]
 */
export class Rng {
  private readonly gen: RandomGenerator
  /** Box–Muller makes normals in pairs; the second one is kept for the next call. */
  private spareNormal: number | null = null

  constructor(readonly seed: number) {
    if (!Number.isFinite(seed))
      throw new AttributionError('bad-request', `The seed must be a finite number (got ${seed}).`)
    // pure-rand takes a 32-bit integer seed; fold larger ones so every number is usable.
    this.gen = xoroshiro128plus(Math.trunc(seed) | 0)
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = (this.gen.unsafeNext() >>> 5) // 27 bits
    const lo = (this.gen.unsafeNext() >>> 6) // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_M53
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform()
  }

  /** A normal draw N(mean, std²) by the Box–Muller transform. */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal
      this.spareNormal = null
      return mean + std * z
    }
    // 1 - uniform() is in (0, 1], so the log is finite.
    const u1 = 1 - this.uniform()
    const u2 = this.uniform()
    const r = Math.sqrt(-2 * Math.log(u1))
    this.spareNormal = r * Math.sin(2 * Math.PI * u2)
    return mean + std * r * Math.cos(2 * Math.PI * u2)
  }

  /** An integer uniform in [0, n). */
  randint(n: number): number {
    if (!(n >= 1))
      throw new AttributionError('bad-request', `randint needs n ≥ 1 (got ${n}).`)
    return unsafeUniformIntDistribution(0, n - 1, this.gen)
  }

  /** A uniformly random permutation of 0…n−1 (Fisher–Yates, from the end). */
  permutation(n: number): number[] {
    const p = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1)
      const t = p[i]!
      p[i] = p[j]!
      p[j] = t
    }
    return p
  }

  /** 1 with probability p, else 0. */
  bernoulli(p = 0.5): 0 | 1 {
    return this.uniform() < p ? 1 : 0
  }

  /**
   * An index drawn with probability proportional to `weights` (need not sum to 1).
   * Throws `unsupported` when no weight is positive (Captum's Categorical raises too).
   */
  categorical(weights: ArrayLike<number>): number {
    let total = 0
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!
      if (!(w >= 0) || !Number.isFinite(w))
        throw new AttributionError('bad-request', `Categorical weights must be finite and ≥ 0 (weight ${i} is ${w}).`)
      total += w
    }
    if (!(total > 0))
      throw new AttributionError('unsupported', 'Categorical distribution with no positive weight.')
    let u = this.uniform() * total
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!
      if (u < 0)
        return i
    }
    // Rounding can leave u ≥ 0 after the loop: return the last index with positive weight.
    for (let i = weights.length - 1; i >= 0; i--) {
      if (weights[i]! > 0)
        return i
    }
    return weights.length - 1
  }
}
