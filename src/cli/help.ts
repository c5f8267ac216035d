import { VERSION } from '../version'

/** The text of `ccproxy --help`. */
export function helpText(): string {
  return `ccproxy ${VERSION} — serve Claude Code and any Anthropic Messages API client from an OpenAI-compatible provider.

Usage:
  ccproxy [serve] [--host HOST] [--port PORT] [--env-file FILE]   start the proxy (the default command)
  ccproxy config [--env-file FILE]                                print the effective settings, secrets masked
  ccproxy --version                                               print the version
  ccproxy --help                                                  print this help

Options:
  --host HOST        address to listen on (HOST, default 127.0.0.1)
  --port PORT        port to listen on (PORT, default 11434; 0 picks a free port)
  --env-file FILE    read settings from FILE instead of ./.env

Settings come from flags, then the environment, then the .env file, then defaults.
Every setting is listed with its default in .env.example; \`ccproxy config\` shows the effective values.

Examples:
  # OpenAI
  OPENAI_API_KEY=sk-... ccproxy
  # OpenRouter, with the models Claude Code's opus/sonnet and haiku names map to
  OPENAI_BASE_URL=https://openrouter.ai/api/v1 OPENROUTER_API_KEY=sk-or-... \\
    BIG_MODEL_NAME=openai/gpt-5 SMALL_MODEL_NAME=openai/gpt-5-mini ccproxy
  # A local Ollama (no key needed)
  OPENAI_BASE_URL=http://127.0.0.1:11435/v1 BIG_MODEL_NAME=qwen3-coder SMALL_MODEL_NAME=qwen3-coder ccproxy --port 8082
  # Then point Claude Code at it
  ANTHROPIC_BASE_URL=http://127.0.0.1:11434 ANTHROPIC_API_KEY=any claude
`
}
