import { SETTINGS, type SettingSpec } from './schema'

/** Suggested values shown (commented out) in .env.example instead of the default. */
const EXAMPLES: Record<string, string> = {
  OPENAI_API_KEY: 'sk-...',
  OPENROUTER_API_KEY: 'sk-or-...',
  SSL_CERT_FILE: '/etc/ssl/certs/my-company-ca.pem',
  HTTPS_PROXY: 'http://proxy.internal:3128',
  HTTP_PROXY: 'http://proxy.internal:3128',
  NO_PROXY: 'localhost,127.0.0.1',
  MODEL_MAP: 'claude-opus-*=gpt-5,*haiku*=gpt-5-mini',
  HTTP_READ_TIMEOUT: '600',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
  REDIS_URL: 'redis://127.0.0.1:6379',
}

/** Agentic-coding values the guide recommends, shown next to the defaults. */
const AGENTIC: Record<string, string> = { CLIENT_RATE_LIMIT_RPM: '120', CLIENT_RATE_LIMIT_TPM: '6000000', CLIENT_RATE_LIMIT_BURST: '30' }

/** The text of .env.example: every setting, its documentation and default, grouped. */
export function renderEnvExample(): string {
  const out = ['# ccproxy settings. Copy to .env and uncomment what you change.', '# Precedence: command-line flags > environment > .env > defaults.', '']
  let group = ''
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (spec.group !== group) {
      group = spec.group
      out.push(`# ---- ${group} ----`)
    }
    const accepted = spec.choices ? ` One of: ${spec.choices.join(', ')}.` : ''
    out.push(`# ${spec.doc}${accepted}${spec.default !== undefined ? ` Default: ${spec.default === '' ? '(empty)' : spec.default}.` : ''}`)
    if (AGENTIC[spec.env]) out.push(`# Agentic coding (Claude Code all day): ${spec.env}=${AGENTIC[spec.env]}`)
    const shown = EXAMPLES[spec.env] ?? spec.default ?? ''
    const active = spec.env === 'OPENAI_API_KEY'
    out.push(`${active ? '' : '# '}${spec.env}=${shown}`)
    out.push('')
  }
  return out.join('\n')
}
