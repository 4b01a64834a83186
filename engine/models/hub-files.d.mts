/** One file of a model on the hub: which repo holds it, and whether the model needs it. */
export interface HubFileSpec {
  readonly path: string
  readonly repo: string
  readonly required: boolean
}
export const XENOVA_DISTILGPT2: 'Xenova/distilgpt2'
export const DISTILBERT_DISTILGPT2: 'distilbert/distilgpt2'
/** The hub files of distilgpt2 (deck hub fallback and `npm run models`). */
export const DISTILGPT2_HUB_FILES: readonly HubFileSpec[]
/**
 * The sha256 an `X-Linked-Etag` header value announces, lower-case hex, or null.
 *
 * @example
 * linkedEtagSha256('"ba7816bf…15ad"') // 'ba7816bf…15ad'
 */
export function linkedEtagSha256(value: string | null | undefined): string | null
