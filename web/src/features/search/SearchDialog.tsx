import { Fragment, type ReactNode, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { useLatest } from '../../app/useLatest'
import { useWorkspace } from '../../app/workspace'
import { formatNumber, formatWhen, maskNumber } from '../inbox/format'

type Ref = { id: string; name: string | null; waId: string | null }
type Result = {
  terms: string[]
  messages: { id: string; conversationId: string; timestamp: string; text: string | null; type: string; contact: Ref }[]
  conversations: { conversationId: string; lastMessageAt: string; contact: Ref }[]
}

/** Marks every occurrence of the terms (case- and accent-insensitive prefix, as the index matches). */
export function Highlight({ text, terms }: { text: string; terms: string[] }): ReactNode {
  if (terms.length === 0) return text
  const fold = (s: string) => s.normalize('NFD').replaceAll(/\p{M}/gu, '').toLowerCase()
  const folded = fold(text)
  const marks: [number, number][] = []
  for (const term of terms.map(fold)) {
    for (let i = folded.indexOf(term); i >= 0; i = folded.indexOf(term, i + 1)) marks.push([i, i + term.length])
  }
  if (folded.length !== text.length || marks.length === 0) return text
  marks.sort((a, b) => a[0] - b[0])
  const out: ReactNode[] = []
  let at = 0
  for (const [s, e] of marks) {
    if (s < at) continue
    out.push(text.slice(at, s), <mark key={s}>{text.slice(s, e)}</mark>)
    at = e
  }
  out.push(text.slice(at))
  return <>{out.map((p, i) => (typeof p === 'string' ? <Fragment key={`t${i}`}>{p}</Fragment> : p))}</>
}

/** Ctrl+K: search messages and contacts; Enter or a click opens the hit in its conversation. */
export function SearchDialog({ onClose, onOpen }: { onClose: () => void; onOpen: (conversationId: string, messageId?: string) => void }) {
  const { maskNumbers } = useWorkspace()
  const { t } = useTranslation()
  const [q, setQ] = useState('')
  const [result, setResult] = useState<Result | null>(null)
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  const latest = useLatest()

  useEffect(() => {
    const query = q.trim()
    if (!query) {
      void latest(Promise.resolve(null), setResult) // an answer still on its way must not come back
      return
    }
    const timer = setTimeout(() => {
      void latest(api<Result>('GET', `/api/search?q=${encodeURIComponent(query.slice(0, 200))}`), setResult, () => setResult(null))
    }, 150)
    return () => clearTimeout(timer)
  }, [q])

  const number = maskNumbers ? maskNumber : formatNumber
  const name = (c: Ref) => c.name ?? number(c.waId)
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog search-dialog" role="dialog" aria-modal="true" aria-label={t('search.title')} onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <label htmlFor="search-input" className="visually-hidden">
          {t('search.title')}
        </label>
        <input id="search-input" ref={input} type="search" value={q} maxLength={200} placeholder={t('search.placeholder')} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
        {result && (
          <div className="search-results">
            {result.conversations.length > 0 && (
              <section aria-label={t('search.contacts')}>
                <h3>{t('search.contacts')}</h3>
                <ul>
                  {result.conversations.map((c) => (
                    <li key={c.conversationId}>
                      <button type="button" onClick={() => onOpen(c.conversationId)}>
                        <strong>{name(c.contact)}</strong> <span className="muted small">{number(c.contact.waId)}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <section aria-label={t('search.messages')}>
              <h3>{t('search.messages')}</h3>
              {result.messages.length === 0 && <p className="muted">{t('search.none')}</p>}
              <ul>
                {result.messages.map((m) => (
                  <li key={m.id}>
                    <button type="button" className="search-hit" onClick={() => onOpen(m.conversationId, m.id)}>
                      <span className="search-hit-head">
                        <strong>{name(m.contact)}</strong> <time className="muted small">{formatWhen(m.timestamp)}</time>
                      </span>
                      <span>
                        <Highlight text={m.text ?? ''} terms={result.terms} />
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          </div>
        )}
      </div>
    </div>
  )
}
