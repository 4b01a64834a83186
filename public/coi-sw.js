/*
 * Cross-origin isolation for static hosts that cannot send headers (GitHub Pages): this
 * service worker adds COOP/COEP to the deck's own responses, so `crossOriginIsolated`
 * becomes true after one reload and the WASM runtimes may use every core. Servers that
 * send the headers themselves (npm run dev, scripts/serve.mjs) never register it.
 * Cross-origin requests (the hub download) pass through untouched: they are CORS
 * fetches, which COEP allows.
 */
/* eslint-disable no-restricted-globals */
self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', event => event.waitUntil(self.clients.claim()))

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (new URL(request.url).origin !== self.location.origin)
    return
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin')
    return
  event.respondWith(fetch(request).then((response) => {
    if (response.status === 0 || response.type === 'opaque')
      return response
    const headers = new Headers(response.headers)
    headers.set('Cross-Origin-Opener-Policy', 'same-origin')
    headers.set('Cross-Origin-Embedder-Policy', 'require-corp')
    headers.set('Cross-Origin-Resource-Policy', 'same-origin')
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }))
})
