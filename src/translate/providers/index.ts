import { azureProfile } from './azure'
import { deepseekProfile } from './deepseek'
import { geminiProfile } from './gemini'
import { genericProfile } from './generic'
import { groqProfile } from './groq'
import { ollamaProfile } from './ollama'
import { openaiProfile } from './openai'
import { openrouterProfile } from './openrouter'
import type { ProviderName, ProviderProfile } from './profile'
import { xaiProfile } from './xai'

export type { ChatUrlConfig, MaxTokensField, ProviderName, ProviderProfile, ReasoningForm, ReplayForm } from './profile'

const PROFILES: Readonly<Record<ProviderName, ProviderProfile>> = {
  openai: openaiProfile,
  azure: azureProfile,
  openrouter: openrouterProfile,
  deepseek: deepseekProfile,
  xai: xaiProfile,
  groq: groqProfile,
  gemini: geminiProfile,
  ollama: ollamaProfile,
  generic: genericProfile,
}

/** Every provider name, in the order the settings list them. */
export const PROVIDER_NAMES = Object.keys(PROFILES) as readonly ProviderName[]

/**
 * The provider family of a base URL, from its host: api.openai.com, *.openai.azure.com and
 * *.cognitiveservices.azure.com, openrouter.ai, api.deepseek.com, api.x.ai, api.groq.com,
 * generativelanguage.googleapis.com; port 11434 or "ollama" in the host or path → ollama; anything else generic.
 */
export function detectProvider(baseUrl: string): ProviderName {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return 'generic'
  }
  const host = url.hostname.toLowerCase()
  if (host === 'api.openai.com') return 'openai'
  if (host.endsWith('.openai.azure.com') || host.endsWith('.cognitiveservices.azure.com')) return 'azure'
  if (host === 'openrouter.ai' || host.endsWith('.openrouter.ai')) return 'openrouter'
  if (host === 'api.deepseek.com') return 'deepseek'
  if (host === 'api.x.ai') return 'xai'
  if (host === 'api.groq.com') return 'groq'
  if (host === 'generativelanguage.googleapis.com') return 'gemini'
  if (url.port === '11434' || host.includes('ollama') || /\/ollama(?:\/|$)/i.test(url.pathname)) return 'ollama'
  return 'generic'
}

/** The profile of a provider family. */
export function getProfile(name: ProviderName): ProviderProfile {
  return PROFILES[name]
}

/** The profile for UPSTREAM_PROVIDER: `auto` (or anything unknown) detects it from the base URL. */
export function resolveProfile(upstreamProvider: string, baseUrl: string): ProviderProfile {
  return (PROFILES as Record<string, ProviderProfile | undefined>)[upstreamProvider] ?? PROFILES[detectProvider(baseUrl)]
}
