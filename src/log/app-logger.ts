import type { Logger } from 'pino'
import type { Config } from '../config/schema'
import type { RequestRecord } from '../proxy/messages'
import { closeLogger, createLogger } from './logger'

/** Creates the process logger from the settings: console, log.jsonl, error.jsonl, secrets scrubbed. */
export function createAppLogger(config: Config): { logger: Logger; close(): void } {
  const secrets = [config.OPENAI_API_KEY, config.OPENROUTER_API_KEY].filter((s): s is string => !!s)
  const logger = createLogger({
    level: config.LOG_LEVEL,
    logFile: config.LOG_FILE_PATH,
    errorFile: config.ERROR_LOG_FILE_PATH,
    maxBytes: config.LOG_MAX_BYTES,
    maxFiles: config.LOG_MAX_FILES,
    redactValues: secrets,
  })
  return { logger, close: () => closeLogger(logger) }
}

/** The one access-log line of a finished request (no bodies unless LOG_BODIES). */
export function logRequest(logger: Logger, rec: RequestRecord, totalMs: number): void {
  const line = {
    request_id: rec.requestId,
    method: 'POST',
    path: '/v1/messages',
    model: rec.model,
    upstream_model: rec.upstreamModel,
    stream: rec.stream,
    status: rec.status,
    latency_ms: round(totalMs),
    first_byte_ms: rec.firstByteMs !== undefined ? round(rec.firstByteMs) : undefined,
    input_tokens: rec.usage?.input_tokens,
    output_tokens: rec.usage?.output_tokens,
    cache_read_tokens: rec.usage?.cache_read_input_tokens,
    retries: rec.attempts !== undefined ? rec.attempts - 1 : undefined,
    cache: rec.cache,
    outcome: rec.outcome,
    error: rec.error,
    request_body: rec.requestBody,
    response_body: rec.responseBody,
  }
  if (rec.status >= 500 && rec.status !== 499) logger.error(line, 'request failed')
  else if (rec.status >= 400 && rec.status !== 499) logger.warn(line, 'request rejected')
  else logger.info(line, 'request')
}

const round = (ms: number) => Math.round(ms * 10) / 10
