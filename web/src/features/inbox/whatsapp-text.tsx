import type { ReactNode } from 'react'

const TOKEN = /(```[\s\S]+?```|\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|https?:\/\/[^\s<]+)/g

/**
 * WhatsApp's formatting as React elements (never as HTML): *bold*, _italic_, ~strike~,
 * ```monospace``` and links, which open in a new tab without referrer.
 */
export function WhatsAppText({ text }: { text: string }) {
  const parts: ReactNode[] = []
  let last = 0
  for (const m of text.matchAll(TOKEN)) {
    const token = m[0]
    const at = m.index ?? 0
    if (at > last) parts.push(text.slice(last, at))
    const key = `${at}`
    if (token.startsWith('```')) parts.push(<code key={key}>{token.slice(3, -3)}</code>)
    else if (token.startsWith('*')) parts.push(<strong key={key}>{token.slice(1, -1)}</strong>)
    else if (token.startsWith('_')) parts.push(<em key={key}>{token.slice(1, -1)}</em>)
    else if (token.startsWith('~')) parts.push(<s key={key}>{token.slice(1, -1)}</s>)
    else
      parts.push(
        <a key={key} href={token} target="_blank" rel="noopener noreferrer">
          {token}
        </a>,
      )
    last = at + token.length
  }
  if (last < text.length) parts.push(text.slice(last))
  return <>{parts}</>
}

/** The same text without its formatting marks, for one-line previews (a list row is a button: no links inside). */
export const withoutFormatting = (text: string): string => text.replace(TOKEN, (token) => (token.startsWith('```') ? token.slice(3, -3) : /^[*_~]/.test(token) ? token.slice(1, -1) : token))

/** The first line of a reply signed with its writer's name (as the server writes it: modules/outbound/agent-signature.ts). */
export const signatureLine = (name: string): string => `*${name.replaceAll('*', '')}*\n`
