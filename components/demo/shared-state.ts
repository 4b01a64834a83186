import type { Ref } from 'vue'
/**
 * Demo state shared between the presenter window and the audience window(s).
 *
 * Slidev syncs its own navigation state; for ours we use Slidev's public
 * `createSyncState` with `persist = true`, which goes through localStorage and its
 * `storage` event. That works the same in `slidev dev` and in the static build, and for
 * every window of the same origin (presenter view, audience view, a second tab).
 */
import { createSyncState } from '@slidev/client'
import { ref, watch } from 'vue'

interface DemoShared {
  /** demo id → JSON of that demo's inputs and last result */
  values: Record<string, string>
}

const sync = createSyncState<DemoShared>({ values: {} }, { values: {} }, true)
let initialised = false

function ensureInit() {
  if (!initialised && typeof window !== 'undefined') {
    sync.init('explain-llm-live:demos')
    initialised = true
  }
}

/**
 * A ref whose value is mirrored to every other window of the deck.
 *
 * @example
 * const text = useSharedRef('bow-ig:text', 'I love this game!')
 */
export function useSharedRef<T>(key: string, initial: T): Ref<T> {
  ensureInit()
  const stored = sync.state.values[key]
  const local = ref(stored === undefined ? initial : JSON.parse(stored) as T) as Ref<T>
  watch(() => sync.state.values[key], (value) => {
    if (value !== undefined && value !== JSON.stringify(local.value))
      local.value = JSON.parse(value) as T
  })
  watch(local, (value) => {
    const json = JSON.stringify(value)
    if (sync.state.values[key] !== json)
      sync.patch('values', { ...sync.state.values, [key]: json })
  }, { deep: true })
  return local
}
