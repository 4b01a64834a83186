/**
 * Where a model's files come from, as the engine's load events say: 'local'
 * (public/models/), 'hub' (downloading from the Hugging Face hub) or 'cache' (the
 * browser's copy of an earlier hub download); null until a run has loaded it.
 */
import type { Ref } from 'vue'
import type { LoadProgress } from '../../engine/worker-protocol'
import { onScopeDispose, ref } from 'vue'

export type ModelSource = LoadProgress['source']

/** What the composable needs from the engine client (a stand-in in the tests). */
export interface ModelSourceFeed {
  onModelSource: (model: string, listener: (source: ModelSource) => void) => () => void
}

/**
 * @example
 * const source = useModelSource('distilgpt2', engine) // Ref<'local' | 'cache' | 'hub' | null>
 */
export function useModelSource(model: string, feed: ModelSourceFeed): Ref<ModelSource | null> {
  const source = ref<ModelSource | null>(null)
  const stop = feed.onModelSource(model, (s) => {
    source.value = s
  })
  onScopeDispose(stop)
  return source
}
