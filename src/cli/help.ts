import { VERSION } from '../version'

/** The text of `ccproxy --help`. */
export function helpText(): string {
  return `ccproxy ${VERSION} — serve Claude Code and any Anthropic Messages API client from an OpenAI-compatible provider.

Usage:
  ccproxy [serve] [--host HOST] [--port PORT] [--env-file FILE]   start the proxy (the default command)
  ccproxy code [claude arguments…]                                start (or reuse) the proxy and run claude through it
  ccproxy doctor                                                  check settings, port, upstream, key, models
  ccproxy config                                                  print the effective settings, secrets masked
  ccproxy --version                                               print the version
  ccproxy --help                                                  print this help

Options (before the command's own arguments):
  --host HOST        address to listen on (HOST, default 127.0.0.1)
  --port PORT        port to listen on (PORT, default 11434; 0 picks a free port)
  --env-file FILE    read settings from FILE instead of ./.env

Settings come from flags, then the environment, then the .env file, then defaults. Every setting is listed with
its default in .env.example; \`ccproxy config\` shows the effective values.

Providers (a ready .env for each is in examples/):
  OpenAI        OPENAI_BASE_URL=https://api.openai.com/v1                        OPENAI_API_KEY=sk-...
  OpenRouter    OPENAI_BASE_URL=https://openrouter.ai/api/v1                     OPENROUTER_API_KEY=sk-or-...
  DeepSeek      OPENAI_BASE_URL=https://api.deepseek.com/v1                      OPENAI_API_KEY=sk-...
  xAI           OPENAI_BASE_URL=https://api.x.ai/v1                              OPENAI_API_KEY=xai-...
  Groq          OPENAI_BASE_URL=https://api.groq.com/openai/v1                   OPENAI_API_KEY=gsk_...
  Gemini        OPENAI_BASE_URL=https://generativelanguage.googleapis.com/v1beta/openai   OPENAI_API_KEY=AIza...
  Azure OpenAI  OPENAI_BASE_URL=https://RESOURCE.openai.azure.com  UPSTREAM_PROVIDER=azure  OPENAI_API_KEY=...
                (BIG_MODEL_NAME / SMALL_MODEL_NAME are your deployment names; AZURE_API_VERSION sets api-version)
  Ollama        OPENAI_BASE_URL=http://127.0.0.1:11434/v1 --port 8082            (no key needed)
  vLLM, llama.cpp, LM Studio  OPENAI_BASE_URL=http://127.0.0.1:8000/v1           (no key needed)
Then choose the models: BIG_MODEL_NAME (Claude's opus and sonnet names) and SMALL_MODEL_NAME (haiku names);
MODEL_MAP=claude-opus-*=gpt-5,*haiku*=gpt-5-mini overrides by pattern.

Examples:
  OPENAI_API_KEY=sk-... ccproxy
  ccproxy --env-file examples/openrouter.env --port 8082
  ccproxy code                       # one command: proxy in the background, Claude Code in front
  ccproxy code -p "explain this repo" --permission-mode acceptEdits
  ccproxy doctor                     # what is wrong, and how to fix it
  ANTHROPIC_BASE_URL=http://127.0.0.1:11434 ANTHROPIC_API_KEY=any claude
`
}
