import { AttributionError } from '../core/errors'
import { Rng } from '../core/rng'

/**
 * The baseline draws use their own stream of the request's seed: the sampling methods
 * seed their permutations or coalitions with the same number, and one stream for both
 * would correlate the baselines with the coalitions (in Captum they are separate
 * generators too: Python's `random` for the baselines, torch's for the permutations).
 */
const BASELINE_STREAM = 0x2545F491

function streamSeed(seed: number): number {
  return (Math.trunc(seed) ^ BASELINE_STREAM) | 0
}

/**
 * Captum's `ProductBaselines({key: [choices…]})`: a baseline that is drawn afresh on
 * every forward row, one choice per key independently (Python's `random.choice` in
 * Captum; the shared seeded `Rng` here so Node and the browser agree).
 *
 * Draws happen in evaluation order, one per row, so the numbers do not depend on
 * how rows are batched.
 *
 * @example
 * const pb = new ProductBaselines({ name: ['Sarah', 'John'], city: ['Paris', 'Rome'] }, 7)
 * pb.sample() // e.g. { name: 'John', city: 'Paris' }
 */
export class ProductBaselines {
  private rng: Rng
  readonly keys: string[]

  constructor(readonly choices: Record<string, string[]>, readonly seed = 0) {
    this.keys = Object.keys(choices)
    for (const k of this.keys) {
      if (!Array.isArray(choices[k]) || choices[k].length === 0)
        throw new AttributionError('bad-request', `ProductBaselines: "${k}" has no choices.`)
    }
    this.rng = new Rng(streamSeed(seed))
  }

  /** One draw: a choice for every key (keys in insertion order, each draw consumes one number per key). */
  sample(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const k of this.keys)
      out[k] = this.choices[k][this.rng.randint(this.choices[k].length)]
    return out
  }

  /** Restart the stream (each trial of a run restarts with its own seed). */
  reset(seed = this.seed): void {
    this.rng = new Rng(streamSeed(seed))
  }
}
