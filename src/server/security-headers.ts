/** Headers of every HTML page ccproxy serves: nothing but this server may be loaded, framed or referred to. */
export const HTML_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** An HTML page response with the security headers; `no-cache` so a new version shows at once. */
export function htmlPage(html: string): Response {
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...HTML_SECURITY_HEADERS } })
}

/** A static asset (script, style sheet) with its content type, `nosniff`, and an hour of caching. */
export function staticAsset(body: string | Blob, type: string): Response {
  return new Response(body, { headers: { 'content-type': type, 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' } })
}
