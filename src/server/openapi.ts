import type { DocumentDecoration } from 'elysia'

/** OpenAPI operation details (request and response schemas) for every route, shown at /swagger. */

const json = (schema: object, description: string) => ({ description, content: { 'application/json': { schema } } })

const ErrorBody = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { type: 'string', enum: ['error'] },
    error: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error'] },
        message: { type: 'string' },
      },
    },
    request_id: { type: 'string' },
  },
}

const ContentBlock = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', description: 'text, image, document, tool_use, tool_result, thinking, redacted_thinking, …' } },
  additionalProperties: true,
}

const MessagesRequest = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  properties: {
    model: { type: 'string', description: 'claude-* names map to BIG_MODEL_NAME / SMALL_MODEL_NAME; other names pass through.' },
    max_tokens: { type: 'integer', minimum: 0 },
    messages: {
      type: 'array',
      items: { type: 'object', required: ['role', 'content'], properties: { role: { type: 'string', enum: ['user', 'assistant', 'system'] }, content: { oneOf: [{ type: 'string' }, { type: 'array', items: ContentBlock }] } } },
    },
    system: { oneOf: [{ type: 'string' }, { type: 'array', items: ContentBlock }] },
    stream: { type: 'boolean' },
    tools: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' }, input_schema: { type: 'object' } } } },
    tool_choice: { type: 'object' },
    thinking: { type: 'object' },
    stop_sequences: { type: 'array', items: { type: 'string' } },
    temperature: { type: 'number' },
    top_p: { type: 'number' },
    metadata: { type: 'object' },
  },
  additionalProperties: true,
}

const Usage = {
  type: 'object',
  properties: { input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' }, cache_creation_input_tokens: { type: 'integer' }, cache_read_input_tokens: { type: 'integer' } },
}

const Message = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string', enum: ['message'] },
    role: { type: 'string', enum: ['assistant'] },
    model: { type: 'string' },
    content: { type: 'array', items: ContentBlock },
    stop_reason: { type: 'string', enum: ['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal'] },
    stop_sequence: { type: 'string', nullable: true },
    usage: Usage,
  },
}

/** Reusable schemas, registered under components.schemas. */
export const OPENAPI_COMPONENTS = { ErrorBody, MessagesRequest, Message, Usage }

const errors = {
  400: json(ErrorBody, 'invalid_request_error: malformed request (the message names the field)'),
  413: json(ErrorBody, 'request_too_large'),
  429: json(ErrorBody, 'rate_limit_error (retry-after set)'),
  500: json(ErrorBody, 'api_error'),
  504: json(ErrorBody, 'timeout_error'),
  529: json(ErrorBody, 'overloaded_error'),
}

/** The `detail` of each route. */
export function openApiDetails(): Record<'messages' | 'countTokens' | 'models', DocumentDecoration> {
  const details = {
    messages: {
      tags: ['messages'],
      summary: 'Create a message (Anthropic Messages API), streaming or not',
      requestBody: { required: true, content: { 'application/json': { schema: MessagesRequest } } },
      responses: {
        200: {
          description: 'A Message, or an SSE stream of Anthropic events when stream is true',
          content: { 'application/json': { schema: Message }, 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...errors,
      },
    },
    countTokens: {
      tags: ['messages'],
      summary: 'Count input tokens (a local estimate)',
      requestBody: { required: true, content: { 'application/json': { schema: { ...MessagesRequest, required: ['model', 'messages'] } } } },
      responses: { 200: json({ type: 'object', properties: { input_tokens: { type: 'integer' } } }, 'The estimate'), 400: errors[400] },
    },
    models: {
      tags: ['messages'],
      summary: 'List the configured models',
      responses: {
        200: json({ type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, id: { type: 'string' }, display_name: { type: 'string' }, created_at: { type: 'string' } } } }, has_more: { type: 'boolean' }, first_id: { type: 'string' }, last_id: { type: 'string' } } }, 'Models'),
      },
    },
  }
  return details as unknown as Record<'messages' | 'countTokens' | 'models', DocumentDecoration>
}
