import type { Config } from '../config/schema'

/**
 * Bun.serve options shared by the binary and the tests. Bun's own body limit is set far above MAX_REQUEST_BYTES so
 * that ccproxy itself refuses oversized bodies, in Anthropic's error format and without reading them whole. Streams
 * stay alive through pings; long non-streaming answers switch the idle timeout off per request.
 */
export function listenOptions(_config?: Config) {
  return { idleTimeout: 255, maxRequestBodySize: Number.MAX_SAFE_INTEGER }
}
