import type { AnthropicErrorType } from './types'

/**
 * Maps an upstream error `type` or `code` string found inside a stream or error body to Anthropic's error type
 * (server_error → api_error, and so on). Unknown kinds become api_error.
 */
export function upstreamErrorType(kind: unknown): AnthropicErrorType {
  switch (String(kind ?? '').toLowerCase()) {
    case 'invalid_request_error':
    case 'invalid_request':
    case 'bad_request':
    case 'context_length_exceeded':
      return 'invalid_request_error'
    case 'authentication_error':
    case 'invalid_api_key':
    case 'unauthorized':
      return 'authentication_error'
    case 'permission_error':
    case 'permission_denied':
    case 'forbidden':
      return 'permission_error'
    case 'not_found_error':
    case 'not_found':
    case 'model_not_found':
      return 'not_found_error'
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
    case 'insufficient_quota':
    case 'tokens':
    case 'requests':
      return 'rate_limit_error'
    case 'timeout':
    case 'timeout_error':
      return 'timeout_error'
    case 'overloaded_error':
    case 'overloaded':
    case 'service_unavailable':
      return 'overloaded_error'
    default:
      return 'api_error'
  }
}
