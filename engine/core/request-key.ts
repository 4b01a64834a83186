import type { AttributionRequest } from '../api'

/**
 * A stable key for a request: JSON with sorted object keys, so equal requests (whatever
 * their key order) share one cache entry and one baked result.
 *
 * @example
 * requestKeyOf({ model: 'bow', method: 'Saliency', input: { type: 'text', text: 'hi' } })
 */
export function requestKeyOf(request: AttributionRequest): string {
  const sort = (v: unknown): unknown => Array.isArray(v)
    ? v.map(sort)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.keys(v as object).sort().filter(k => (v as Record<string, unknown>)[k] !== undefined).map(k => [k, sort((v as Record<string, unknown>)[k])]))
      : v
  return JSON.stringify(sort(request))
}
