/**
 * The transport under the upstream client: one Bun.FetchSession (keep-alive pool, proxy, trusted CAs) per
 * endpoint, NO_PROXY matching, DNS prefetch, and the request body that reports when Bun opened the connection
 * and when it took the last byte. docs/transport.md maps every setting to the Bun knob it drives.
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import tls from 'node:tls'

/** Every encoding Bun's fetch decodes; sent on every upstream request. */
export const ACCEPT_ENCODING = 'gzip, deflate, br, zstd'

/** POOL_*, SSL_CERT_FILE and the proxy settings, as configured. */
export interface TransportSettings {
  POOL_MAX_KEEPALIVE_CONNECTIONS: number
  POOL_KEEPALIVE_EXPIRY: number
  SSL_CERT_FILE?: string | undefined
  HTTPS_PROXY?: string | undefined
  HTTP_PROXY?: string | undefined
  NO_PROXY: readonly string[]
}

/** The PEM certificates in a text (each BEGIN … END CERTIFICATE block). */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

/**
 * The CA list for SSL_CERT_FILE: Bun's default store (bundled Mozilla roots and the system store) plus every
 * certificate in the file. A `ca` option replaces the default store in Bun, so the defaults are listed too.
 */
export function caBundle(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`SSL_CERT_FILE=${path} cannot be read: ${(e as Error).message}`)
  }
  const extra = pemCertificates(text)
  if (extra.length === 0) throw new Error(`SSL_CERT_FILE=${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`)
  const defaults = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates]
  return [...defaults, ...extra]
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0
}

/** Whether one NO_PROXY entry (`*`, `host`, `.host`, `*.host`, `host:port`, an IP or an IPv4 CIDR) covers the URL. */
function matchesNoProxyEntry(entry: string, host: string, port: string): boolean {
  let e = entry.trim().toLowerCase()
  if (e === '') return false
  if (e === '*') return true
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(e)
  if (cidr) {
    if (isIP(host) !== 4) return false
    const bits = Number(cidr[2])
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
    return (ipv4ToInt(host) & mask) === (ipv4ToInt(cidr[1]) & mask)
  }
  const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(e)
  if (withPort) {
    if (withPort[2] !== port) return false
    e = withPort[1]
  }
  e = e.replace(/^\[|\]$/g, '')
  if (isIP(e)) return e === host
  e = e.replace(/^\*?\./, '')
  return host === e || host.endsWith(`.${e}`)
}

/** Whether NO_PROXY lets this URL bypass the proxy. */
export function bypassesProxy(url: URL, noProxy: readonly string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  return noProxy.some((entry) => matchesNoProxyEntry(entry, host, port))
}

/** The proxy for an upstream base URL: HTTPS_PROXY for https://, HTTP_PROXY for http://, none when NO_PROXY matches. */
export function proxyFor(baseUrl: string, s: Pick<TransportSettings, 'HTTPS_PROXY' | 'HTTP_PROXY' | 'NO_PROXY'>): string | undefined {
  const url = new URL(baseUrl)
  const proxy = url.protocol === 'https:' ? s.HTTPS_PROXY : s.HTTP_PROXY
  if (!proxy || bypassesProxy(url, s.NO_PROXY)) return undefined
  return proxy
}

/** Bun's keep-alive setting for the pool settings: off when either is 0. */
export function keepAliveOption(s: Pick<TransportSettings, 'POOL_MAX_KEEPALIVE_CONNECTIONS' | 'POOL_KEEPALIVE_EXPIRY'>): false | { idleTimeout: number; maxIdleSockets: number } {
  if (s.POOL_MAX_KEEPALIVE_CONNECTIONS === 0 || s.POOL_KEEPALIVE_EXPIRY === 0) return false
  return { idleTimeout: s.POOL_KEEPALIVE_EXPIRY, maxIdleSockets: s.POOL_MAX_KEEPALIVE_CONNECTIONS }
}

/** One endpoint's connection settings: its session (pool, proxy, CAs) and the proxy it uses, if any. */
export interface EndpointTransport {
  readonly session: Bun.FetchSession
  readonly proxy: string | undefined
}

/**
 * The session for one upstream base URL. The proxy decision is made here, from the settings, and passed to Bun
 * with `respectNoProxy: false` (or `proxy: false`), so Bun's own reading of the environment never disagrees with
 * `ccproxy config`. `ca` is the SSL_CERT_FILE bundle from caBundle(), read once at start-up.
 */
export function createTransport(baseUrl: string, s: TransportSettings, ca?: string[]): EndpointTransport {
  const proxy = proxyFor(baseUrl, s)
  const session = new Bun.FetchSession({
    keepAlive: keepAliveOption(s),
    proxy: proxy ? { url: proxy, respectNoProxy: false } : false,
    ...(ca ? { tls: { ca } } : {}),
  })
  return { session, proxy }
}

/** Starts resolving the host ccproxy will connect to (the proxy's, when one is used); IP literals need nothing. */
export function prefetchDns(baseUrl: string, proxy?: string): void {
  const url = new URL(proxy ?? baseUrl)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  try {
    Bun.dns.prefetch(host, port)
  } catch {}
}

/** What an attempt sends: the JSON text and its UTF-8 length (the Content-Length). */
export interface UpstreamBody {
  readonly text: string
  readonly byteLength: number
}

/** The body for `text`, its byte length computed once for every attempt. */
export function upstreamBody(text: string): UpstreamBody {
  return { text, byteLength: Buffer.byteLength(text, 'utf8') }
}

/**
 * Bodies up to this many bytes count as written once Bun accepted the one write (what it has not yet handed to
 * the socket it holds, like one 64 KB piece before); for larger ones the write phase lasts until Bun reports its
 * buffer drained. Waiting for that report costs a round trip through Bun's HTTP thread, about a fifth more client
 * CPU on a 60 KB body.
 */
export const SMALL_BODY_BYTES = 64 * 1024

/**
 * The request body as a Bun direct stream with a known length (sent as Content-Length, never chunked). Bun pulls
 * a request body only once its connection is open (TCP, TLS and any proxy tunnel), so the pull marks the end of
 * connecting. The pull writes the whole string in one call (Bun encodes it to UTF-8 itself; nothing is encoded in
 * JavaScript or queued piece by piece). A body over SMALL_BODY_BYTES is `written` once the write's promise says
 * the socket took it; a smaller one as soon as Bun accepted it.
 */
export function phasedBody(body: UpstreamBody, on: { connected(): void; written(): void }): ReadableStream<Uint8Array> {
  const { text, byteLength } = body
  if (byteLength <= SMALL_BODY_BYTES) {
    return new ReadableStream<Uint8Array>({
      type: 'direct',
      pull(controller) {
        on.connected()
        controller.write(text)
        controller.end()
        on.written()
      },
    })
  }
  return new ReadableStream<Uint8Array>({
    type: 'direct',
    async pull(controller) {
      on.connected()
      try {
        const wrote = controller.write(text)
        if (typeof wrote !== 'number') await wrote
        const ended = controller.end()
        if (typeof ended !== 'number') await ended
      } catch {
        return // the request was aborted; the attempt reports why
      }
      on.written()
    },
  })
}
