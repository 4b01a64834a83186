/**
 * The slice of `@slidev/client`'s public API (its index.ts) that our components use.
 * The package ships TypeScript sources written for Slidev's own compiler settings, so
 * the typecheck reads this declaration instead (tsconfig `paths`); Vite still bundles
 * the real package.
 */
declare module '@slidev/client' {
  import type { ComputedRef, Ref } from 'vue'

  export function onSlideEnter(cb: (to: number, from: number | undefined) => unknown): void
  export function onSlideLeave(cb: (to: number, from: number | undefined) => unknown): void
  export function useIsSlideActive(): ComputedRef<boolean>
  export function useNav(): {
    isPrintMode: Ref<boolean>
    currentSlideNo: Ref<number>
    total: Ref<number>
  }
  /** Inside a slide: `$page` is that slide's number (1-based), the one `currentSlideNo` has when it is shown. */
  export function useSlideContext(): { $page: Ref<number> }
  export function createSyncState<State extends object>(serverState: State, defaultState: State, persist?: boolean): {
    init: (channelKey: string) => void
    onPatch: (fn: (state: State) => void) => void
    onUpdate: (patch: Partial<State>) => void
    patch: <K extends keyof State>(key: K, value: State[K]) => void
    state: State
  }
}
