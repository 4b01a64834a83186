/**
 * Which model folders the deck can see. A folder counts as present when its
 * `manifest.json` is served (the static server's SPA fallback answers HTML, which we reject).
 */
import { deckConfig } from './engine-client'

const seen = new Map<string, Promise<boolean>>()

/**
 * @example
 * if (await modelAvailable('bow-course')) showCourseToggle()
 */
export function modelAvailable(name: string): Promise<boolean> {
  let p = seen.get(name)
  if (!p) {
    p = fetch(`${deckConfig().modelsBaseUrl}${name}/manifest.json`, { method: 'HEAD' })
      .then(r => r.ok && !(r.headers.get('content-type') ?? '').includes('text/html'))
      .catch(() => false)
    seen.set(name, p)
  }
  return p
}
