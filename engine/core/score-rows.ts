/**
 * Teacher-forced scoring rows, checked and batched in one place for every scorer (the
 * attribution graph in `models/gpt2-session.ts`, transformers.js's full logits in
 * `models/causal-lm.ts`).
 *
 * Row r is scored on `prompt + target[:-1]`: target token k is predicted at position
 * len(prompt) − 1 + k.
 */
import { LRUCache } from 'lru-cache'
import { AttributionError } from './errors'

/** One teacher-forcing row: the (perturbed) prompt ids and the target ids scored after it. */
export interface ScoreRow {
  promptIds: number[]
  targetIds: number[]
}

/**
 * Throws `empty-input` / `too-long` / `bad-request` for a row no scorer can run, with the
 * same message whichever scorer is used.
 *
 * @example
 * validateScoreRows([{ promptIds: [464], targetIds: [] }], 1024, 50257) // throws empty-input
 */
export function validateScoreRows(rows: ScoreRow[], nPositions: number, vocabSize: number): void {
  for (const r of rows) {
    if (r.targetIds.length === 0)
      throw new AttributionError('empty-input', 'The target is empty.')
    if (r.promptIds.length === 0)
      throw new AttributionError('empty-input', 'The prompt is empty.')
    if (r.promptIds.length + r.targetIds.length - 1 > nPositions)
      throw new AttributionError('too-long', `Prompt + target is ${r.promptIds.length + r.targetIds.length} tokens, longer than the model's context (${nPositions}).`)
    for (const id of [...r.promptIds, ...r.targetIds]) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw new AttributionError('bad-request', `Token id ${id} is outside the vocabulary (0…${vocabSize - 1}).`)
    }
  }
}

/**
 * The sequences a scorer runs: `prompt + target[:-1]` per row.
 *
 * @example
 * teacherForcedSequences([{ promptIds: [1, 2], targetIds: [3, 4] }]) // [[1, 2, 3]]
 */
export function teacherForcedSequences(rows: ScoreRow[]): number[][] {
  return rows.map(r => [...r.promptIds, ...r.targetIds.slice(0, -1)])
}

/**
 * Groups consecutive sequences into batches whose rows × padded length stays within
 * `maxBatchTokens` (a longer single row is a batch of its own). Returns [start, end) pairs.
 *
 * @example
 * planBatches([[1, 2], [3, 4], [5]], 4) // [[0, 2], [2, 3]]
 */
export function planBatches(seqs: number[][], maxBatchTokens: number): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let start = 0
  let maxLen = 0
  for (let i = 0; i < seqs.length; i++) {
    const m = Math.max(maxLen, seqs[i].length)
    if (i > start && m * (i - start + 1) > maxBatchTokens) {
      out.push([start, i])
      start = i
      maxLen = seqs[i].length
    }
    else {
      maxLen = m
    }
  }
  if (seqs.length > start)
    out.push([start, seqs.length])
  return out
}

/**
 * Remembers scored rows by their token ids, so a row seen before is answered without a
 * forward: the all-on and all-off rows every method and curve begins with, the seeded
 * random orders that the deletion and insertion curves of every method share, the rows
 * a faithfulness row's method already scored on an earlier slide. The model is a pure
 * function of the ids it is given, so this is exact, also under ProductBaselines: the key
 * is the sequence after the baseline draw, never the mask, and every draw still happens.
 * Least recently used rows are dropped beyond `capacity` (0 remembers nothing).
 *
 * @example
 * const memo = new ScoreMemo(20_000)
 * await memo.score(rows, missing => session.scoreTargets(missing)) // second time: no forward
 * memo.hits // rows answered from memory so far
 */
export class ScoreMemo {
  private readonly rows: LRUCache<string, Float32Array> | null
  /** Rows answered from memory since creation. */
  hits = 0

  constructor(readonly capacity: number) {
    this.rows = capacity > 0 ? new LRUCache({ max: capacity }) : null
  }

  /** Scores `rows`, running `scoreMissing` once on the distinct rows it does not remember. */
  async score(rows: ScoreRow[], scoreMissing: (rows: ScoreRow[]) => Promise<Float32Array[]>): Promise<Float32Array[]> {
    const memory = this.rows
    if (!memory)
      return scoreMissing(rows)
    const keys = rows.map(r => `${r.promptIds.join(',')}|${r.targetIds.join(',')}`)
    // Looked up once each, so that a row is not evicted between this look and its answer.
    const known = new Map<string, Float32Array>()
    const missing = new Map<string, ScoreRow>()
    keys.forEach((k, i) => {
      const lp = known.get(k) ?? memory.get(k)
      if (lp)
        known.set(k, lp)
      else if (!missing.has(k))
        missing.set(k, rows[i]!)
    })
    if (missing.size > 0) {
      const scored = await scoreMissing([...missing.values()])
      ;[...missing.keys()].forEach((k, i) => {
        known.set(k, scored[i]!)
        memory.set(k, scored[i]!)
      })
    }
    this.hits += rows.length - missing.size
    return keys.map(k => known.get(k)!.slice())
  }
}
