import { ProxyError } from '../server/errors'
import type { ProviderProfile } from './providers/profile'
import type { OpenAIContentPart } from './types'

/** A content block read loosely: validation checked only its `type`, and unknown fields must not break translation. */
export type LooseBlock = Record<string, any>
type Loose = LooseBlock

const invalid = (message: string) => new ProxyError('invalid_request_error', message)

/** An image block as an OpenAI image_url part (base64 → data URL). */
export function imagePart(block: Loose, where: string): OpenAIContentPart {
  const source = block.source as Loose | undefined
  if (source?.type === 'base64' && typeof source.data === 'string') {
    return { type: 'image_url', image_url: { url: `data:${source.media_type ?? 'image/png'};base64,${source.data}` } }
  }
  if (source?.type === 'url' && typeof source.url === 'string') return { type: 'image_url', image_url: { url: source.url } }
  throw invalid(`${where}.source: image source type ${JSON.stringify(source?.type)} is not supported by this proxy; send the image as base64 or a URL`)
}

/** A document block as content parts: text sources as text, PDFs as `file` parts where the upstream takes them. */
export function documentParts(block: Loose, profile: ProviderProfile, where: string, out: OpenAIContentPart[]): void {
  const source = block.source as Loose | undefined
  const title = typeof block.title === 'string' && block.title ? block.title : undefined
  const titled = (text: string) => (title ? `${title}\n\n${text}` : text)
  switch (source?.type) {
    case 'text':
      out.push({ type: 'text', text: titled(String(source.data ?? '')) })
      return
    case 'content':
      if (typeof source.content === 'string') out.push({ type: 'text', text: titled(source.content) })
      else if (Array.isArray(source.content)) {
        if (title) out.push({ type: 'text', text: title })
        for (let i = 0; i < source.content.length; i++) {
          const inner = source.content[i] as Loose
          if (inner?.type === 'image') out.push(imagePart(inner, `${where}.source.content.${i}`))
          else if (typeof inner?.text === 'string') out.push({ type: 'text', text: inner.text })
        }
      }
      return
    case 'base64':
      if (source.media_type === 'application/pdf') {
        if (!profile.supportsPdf) {
          throw invalid(`${where}: the upstream (${profile.name}) does not accept PDF documents; extract the text and send it as a text document instead`)
        }
        out.push({ type: 'file', file: { file_data: `data:application/pdf;base64,${source.data}`, filename: title ?? 'document.pdf' } })
        return
      }
      if (typeof source.media_type === 'string' && source.media_type.startsWith('text/')) {
        out.push({ type: 'text', text: titled(Buffer.from(String(source.data ?? ''), 'base64').toString('utf8')) })
        return
      }
      throw invalid(`${where}.source: document media type ${JSON.stringify(source.media_type)} is not supported by this proxy`)
    default:
      throw invalid(`${where}.source: document source type ${JSON.stringify(source?.type)} is not supported by this proxy; send the document as base64 or text`)
  }
}

/** A search_result block flattened to text. */
export function searchResultText(block: Loose): string {
  const lines: string[] = []
  if (typeof block.title === 'string' && block.title) lines.push(block.title)
  if (typeof block.source === 'string' && block.source) lines.push(`Source: ${block.source}`)
  if (Array.isArray(block.content)) for (const c of block.content) if (typeof c?.text === 'string') lines.push(c.text)
  return lines.join('\n')
}

/** The text and images of a tool_result's content. */
export interface ToolResultContent {
  text: string
  images: OpenAIContentPart[] | undefined
}

/** A tool_result's content as text (text blocks joined by newlines) plus any images it carried. */
export function toolResultContent(content: unknown, where: string): ToolResultContent {
  if (typeof content === 'string') return { text: content, images: undefined }
  if (!Array.isArray(content)) return { text: '', images: undefined }
  let text = ''
  let images: OpenAIContentPart[] | undefined
  const add = (t: string) => {
    text = text ? `${text}\n${t}` : t
  }
  for (let i = 0; i < content.length; i++) {
    const block = content[i] as Loose
    switch (block?.type) {
      case 'text':
        add(String(block.text ?? ''))
        break
      case 'image':
        ;(images ??= []).push(imagePart(block, `${where}.content.${i}`))
        break
      case 'search_result':
        add(searchResultText(block))
        break
      case 'document': {
        const source = block.source as Loose | undefined
        if (source?.type === 'text') add(String(source.data ?? ''))
        else if (source?.type === 'content' && typeof source.content === 'string') add(source.content)
        else if (source?.type === 'content' && Array.isArray(source.content)) {
          for (const c of source.content) if (typeof c?.text === 'string') add(c.text)
        } else add('[document omitted: this proxy passes only text documents inside tool results]')
        break
      }
      case 'tool_reference':
        if (typeof block.tool_name === 'string') add(`Tool loaded: ${block.tool_name}`)
        break
      default:
        if (typeof block?.text === 'string') add(block.text)
    }
  }
  return { text, images }
}

/** Server-tool result blocks in an assistant turn, as short text (web search results); others give undefined. */
export function serverToolText(block: Loose): string | undefined {
  if (block.type !== 'web_search_tool_result' || !Array.isArray(block.content)) return undefined
  const lines = ['Web search results:']
  for (const r of block.content) if (r && typeof r.url === 'string') lines.push(`- ${r.title ?? r.url} (${r.url})`)
  return lines.length > 1 ? lines.join('\n') : undefined
}
