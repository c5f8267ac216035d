import { Elysia } from 'elysia'
import { newRequestId } from '../proxy/messages'

/**
 * Gives every handled response a `request-id` header. Responses that already carry one (the messages routes make
 * their own, error responses too) keep it; nothing is generated for them.
 */
export function requestId(generate: () => string = newRequestId) {
  return new Elysia({ name: 'ccproxy/request-id' })
    .onAfterHandle({ as: 'global' }, function tagRequestId({ responseValue, set }) {
      if (responseValue instanceof Response && responseValue.headers.has('request-id')) return
      set.headers['request-id'] = generate()
    })
}
