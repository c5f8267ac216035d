import pino, { type Logger } from 'pino'
import type { Config } from '../config/schema'
import type { RequestRecord } from '../proxy/messages'

/** The process logger plus the access-log hook called once per request. */
export interface AppLogger {
  logger: Logger
  onRequestDone(rec: RequestRecord, totalMs: number): void
  close(): void
}

/** Creates the logger from the settings and the one-line-per-request access log. */
export function createAppLogger(config: Config): AppLogger {
  const logger = pino({ level: config.LOG_LEVEL, base: undefined }, pino.destination({ dest: 2, sync: true }))
  return {
    logger,
    onRequestDone(rec, totalMs) {
      const line = {
        request_id: rec.requestId,
        model: rec.model,
        upstream_model: rec.upstreamModel,
        stream: rec.stream,
        status: rec.status,
        latency_ms: Math.round(totalMs * 10) / 10,
        first_byte_ms: rec.firstByteMs !== undefined ? Math.round(rec.firstByteMs * 10) / 10 : undefined,
        input_tokens: rec.usage?.input_tokens,
        output_tokens: rec.usage?.output_tokens,
        cache_read_tokens: rec.usage?.cache_read_input_tokens,
        attempts: rec.attempts,
        outcome: rec.outcome,
        error: rec.error,
      }
      if (rec.status >= 500 && rec.status !== 499) logger.error(line, 'request failed')
      else logger.info(line, 'request')
    },
    close() {
      logger.flush?.()
    },
  }
}
