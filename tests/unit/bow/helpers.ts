/** Paths and reference loading shared by the BoW tests. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importBowCheckpoint } from '../../../engine/models/bow-import'
import { haveShared, REPO_ROOT, SHARED_DIR } from '../../shared-reference'

export const REPO = REPO_ROOT
export const SHARED = SHARED_DIR
export const REFERENCE_PATH = join(SHARED, 'captum-reference/bow/reference.json')
export const CHECKPOINT_PATH = join(SHARED, 'seed/bow_text_classifier.pt')
export const STOPWORDS_PATH = join(SHARED, 'data/sentiment/nltk_stopwords_english.txt')
export const HAVE_SHARED = haveShared('captum-reference/bow/reference.json', 'seed/bow_text_classifier.pt', 'data/sentiment/nltk_stopwords_english.txt')
export const SKIP_MESSAGE = `../shared (Captum reference, course checkpoint) not found at ${SHARED}: skipping`
export const OUR_MODEL = join(REPO, 'public/models/bow')

export interface RefInput {
  id: string
  text: string
  tokens: string[]
  words: string[]
  word_vocab_indices: number[]
  word_counts: number[]
  target: number
  model: { probabilities: [number, number], probabilities_at_zero_baseline: [number, number] }
  attributions: Record<string, any>
  metrics: Record<string, any>
  seed_sweep: Record<string, { min: number[], max: number[], std: number[], mean: number[] } | null>
}

export function loadReference(): { inputs: RefInput[] } {
  return JSON.parse(readFileSync(REFERENCE_PATH, 'utf8'))
}

export function readStopwords(): string[] {
  return readFileSync(STOPWORDS_PATH, 'utf8').split(/\r?\n/).filter(w => w !== '')
}

let imported: string | null = null
/** Imports the course checkpoint into a temp folder once per test file. */
export function importCourseModel(): string {
  if (imported)
    return imported
  const dir = mkdtempSync(join(tmpdir(), 'course-bow-'))
  const bytes = readFileSync(CHECKPOINT_PATH)
  const files = importBowCheckpoint(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), readStopwords())
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data)
  imported = dir
  return dir
}
