import pino, { type Logger } from 'pino'

/** One captured log line. */
export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

/** A pino logger at debug level whose lines are kept in memory, parsed. */
export function captureLogger(): { logger: Logger; lines: LogLine[]; warnings: () => LogLine[] } {
  const lines: LogLine[] = []
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) })
  return { logger, lines, warnings: () => lines.filter((l) => l.level === 40) }
}
