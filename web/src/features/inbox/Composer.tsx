import { type ClipboardEvent, type DragEvent, type FormEvent, type KeyboardEvent, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { MEDIA_LIMITS, messageTypeOf } from '../../../../src/modules/media/media-limits'
import { api, describeError, type Conversation, type Message, uploadMedia } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { draftOf, keepDraft } from './drafts'
import { EmojiPicker } from './EmojiPicker'
import { formatSize } from './format'
import { quoteText } from './MessageBubble'
import { signatureLine, WhatsAppText } from './whatsapp-text'
import { type Suggestion, SuggestionMenu } from './SuggestionMenu'
import { TemplatePicker } from './TemplatePicker'
import { Icon } from '../../ui/Icon'
import { useKeyCommands } from './shortcuts'

const MAX = 4096
// The emojis service teams use most; the operating system's emoji keyboard has the rest.
const EMOJIS = ['😊', '🙂', '😀', '😉', '😅', '🙏', '👍', '👋', '👌', '🙌', '👏', '💪', '❤️', '🎉', '✅', '❌', '⚠️', '📦', '🚚', '📞', '📧', '📅', '⏰', '💶', '🔧', '😢', '😮', '🤔', '👀', '✨']
type Mode = 'reply' | 'note'

/** The word being typed at the caret when it starts with `/` (quick reply) or `@` (mention). */
function tokenAtCaret(text: string, caret: number): { trigger: '/' | '@'; query: string; start: number } | null {
  const m = /(^|\s)([/@])([\p{L}\p{N}_-]*)$/u.exec(text.slice(0, caret))
  return m ? { trigger: m[2] as '/' | '@', query: m[3]!.toLowerCase(), start: caret - m[3]!.length - 1 } : null
}

/**
 * Writes to the customer (text, files, replies) while the 24-hour window is open, a template when
 * it is closed, or a private note for the team. `/` inserts a quick reply, `@` mentions a colleague.
 * One per conversation (the chat keys it by id): its text is that conversation's draft.
 */
export function Composer({ conversation: c, replyTo, onCancelReply, onSent }: { conversation: Conversation; replyTo: Message | null; onCancelReply: () => void; onSent: () => void }) {
  const { t } = useTranslation()
  const { user, team, quickReplies, settings } = useWorkspace()
  const [mode, setMode] = useState<Mode>('reply')
  const [text, setTextState] = useState(() => draftOf(c.id))
  const setText = (value: string) => {
    setTextState(value)
    keepDraft(c.id, value)
  }
  const [caret, setCaret] = useState(0)
  const [mentions, setMentions] = useState<{ id: string; name: string }[]>([])
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [active, setActive] = useState(0)
  const [dragging, setDragging] = useState(false)
  const input = useRef<HTMLTextAreaElement>(null)
  const fileInput = useRef<HTMLInputElement>(null)
  const lastTyping = useRef(0)
  const lastCustomerTyping = useRef(0)
  useKeyCommands({ r: () => input.current?.focus() })
  const windowOpen = c.windowExpiresAt !== null
  // A reply signed with my name carries it too (bold first line): the limit is WhatsApp's for the whole.
  const signature = mode === 'reply' && settings.signWithName ? signatureLine(user.name) : ''
  const tooMany = text.length + signature.length - MAX

  const token = tokenAtCaret(text, caret)
  const fill = (body: string) =>
    body.replaceAll(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => ({ 'contact.name': c.contact.name ?? '', 'contact.phone': c.contact.waId ? `+${c.contact.waId}` : '', 'agent.name': user.name })[key] ?? whole)
  const suggestions: Suggestion[] =
    token?.trigger === '/'
      ? quickReplies.filter((q) => q.shortcut.toLowerCase().startsWith(token.query)).map((q) => ({ id: q.id, label: `/${q.shortcut}`, detail: fill(q.body), insert: fill(q.body) }))
      : token?.trigger === '@' && mode === 'note'
        ? team.filter((m) => m.name.toLowerCase().includes(token.query)).map((m) => ({ id: m.id, label: `@${m.name}`, detail: '', insert: `@${m.name} ` }))
        : []

  function pick(s: Suggestion) {
    if (!token) return
    const next = text.slice(0, token.start) + s.insert + text.slice(caret)
    if (token.trigger === '@') setMentions((prev) => (prev.some((p) => p.id === s.id) ? prev : [...prev, { id: s.id, name: s.label.slice(1) }]))
    setText(next)
    const pos = token.start + s.insert.length
    setCaret(pos)
    setActive(0)
    requestAnimationFrame(() => input.current?.setSelectionRange(pos, pos))
  }

  async function run(call: () => Promise<unknown>) {
    setBusy(true)
    setError(null)
    try {
      await call()
      onSent()
      return true
    } catch (err) {
      setError(t('composer.error', { detail: describeError(err) }))
      return false
    } finally {
      setBusy(false)
    }
  }
  const context = replyTo?.wamid ? { context: { message_id: replyTo.wamid } } : {}
  const send = (body: object) => api('POST', `/api/conversations/${c.id}/messages`, { ...body, ...context })

  async function submit(e?: FormEvent) {
    e?.preventDefault()
    const body = text.trim()
    if (!body || tooMany > 0 || busy) return
    const ok =
      mode === 'note'
        ? await run(() => api('POST', `/api/conversations/${c.id}/notes`, { body, mentions: mentions.filter((m) => body.includes(`@${m.name}`)).map((m) => m.id) }))
        : await run(() => send({ type: 'text', text: { body, preview_url: /https?:\/\//.test(body) } }))
    if (ok) {
      setText('')
      setMentions([])
      if (mode === 'reply') onCancelReply()
    }
  }

  /** Explains a refused file before anything is uploaded; otherwise uploads and sends it. */
  async function attach(files: FileList | File[]) {
    const file = [...files][0]
    if (!file) return
    const mime = file.type.toLowerCase()
    const limit = MEDIA_LIMITS[mime]
    if (!limit) return setError(t('composer.fileType', { type: mime || file.name }))
    if (file.size > limit) return setError(t('composer.fileSize', { size: formatSize(file.size), limit: formatSize(limit) }))
    if (file.size === 0) return setError(t('composer.fileEmpty'))
    const caption = text.trim()
    const ok = await run(async () => {
      const media = await uploadMedia(file)
      const type = messageTypeOf(mime)
      const obj: Record<string, string> = { id: media.id }
      if (caption && type !== 'audio' && type !== 'sticker') obj.caption = caption
      if (type === 'document') obj.filename = file.name
      await send({ type, [type]: obj })
    })
    if (ok) {
      setText('')
      onCancelReply()
    }
  }

  function onKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (suggestions.length > 0) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault()
        setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : suggestions.length - 1)) % suggestions.length)
        return
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault()
        pick(suggestions[Math.min(active, suggestions.length - 1)]!)
        return
      }
    }
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault()
      void submit()
    }
    // Out of the field (the draft stays), so that the single-key commands work again.
    if (e.key === 'Escape') e.currentTarget.blur()
  }

  function onChange(value: string, pos: number) {
    setText(value)
    setCaret(pos)
    setActive(0)
    if (mode === 'note' && Date.now() - lastTyping.current > 2500) {
      lastTyping.current = Date.now()
      void api('POST', `/api/conversations/${c.id}/typing`).catch(() => undefined)
    }
    // The customer sees "typing…" for up to 25 s (or until our reply): renewed while the agent writes.
    if (mode === 'reply' && windowOpen && value.trim() && Date.now() - lastCustomerTyping.current > 20_000) {
      lastCustomerTyping.current = Date.now()
      void api('POST', `/api/conversations/${c.id}/read`, { typing: true }).catch(() => undefined)
    }
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault()
    setDragging(false)
    if (mode === 'reply' && windowOpen) void attach(e.dataTransfer.files)
  }
  const onPaste = (e: ClipboardEvent) => {
    if (mode === 'reply' && windowOpen && e.clipboardData.files.length > 0) {
      e.preventDefault()
      void attach(e.clipboardData.files)
    }
  }

  const tabs = (
    <div className="composer-tabs" role="tablist" aria-label={t('composer.mode')}>
      {(['reply', 'note'] as const).map((m) => (
        <button key={m} type="button" role="tab" aria-selected={mode === m} onClick={() => setMode(m)}>
          {t(`composer.${m}`)}
        </button>
      ))}
    </div>
  )

  if (mode === 'reply' && !windowOpen) {
    return (
      <div className="composer-wrap">
        {tabs}
        <TemplatePicker conversation={c} onSent={onSent} />
      </div>
    )
  }

  return (
    <div className={`composer-wrap${mode === 'note' ? ' note-mode' : ''}${dragging ? ' dragging' : ''}`} onDragOver={(e) => { e.preventDefault(); setDragging(true) }} onDragLeave={() => setDragging(false)} onDrop={onDrop}>
      {tabs}
      {replyTo && mode === 'reply' && (
        <div className="replying">
          <blockquote className="quote small">
            <WhatsAppText text={quoteText(replyTo, t)} />
          </blockquote>
          <button type="button" className="icon" onClick={onCancelReply} aria-label={t('composer.cancelReply')}>
            <Icon name="close" />
          </button>
        </div>
      )}
      <form className="composer" onSubmit={submit}>
        {mode === 'reply' && (
          <>
            <button type="button" className="icon" onClick={() => fileInput.current?.click()} aria-label={t('composer.attach')} title={t('composer.attach')} disabled={busy}>
              <Icon name="paperclip" size={18} />
            </button>
            <input ref={fileInput} type="file" hidden accept={Object.keys(MEDIA_LIMITS).join(',')} onChange={(e) => e.target.files && void attach(e.target.files).then(() => (e.target.value = ''))} aria-label={t('composer.attach')} />
          </>
        )}
        <EmojiPicker
          emojis={EMOJIS}
          icon={<Icon name="smile" size={18} />}
          label={t('composer.emoji')}
          itemLabel={(e) => e}
          groupClassName="popover emoji-grid"
          onPick={(emoji) => {
            const next = text.slice(0, caret) + emoji + text.slice(caret)
            setText(next)
            setCaret(caret + emoji.length)
            input.current?.focus()
          }}
        />
        <div className="composer-input">
          {suggestions.length > 0 && <SuggestionMenu items={suggestions} active={Math.min(active, suggestions.length - 1)} onPick={pick} label={token?.trigger === '/' ? t('composer.quickReplies') : t('composer.mentions')} />}
          <label htmlFor="composer-text" className="visually-hidden">
            {mode === 'note' ? t('composer.noteLabel') : t('composer.label')}
          </label>
          <textarea
            id="composer-text"
            ref={input}
            value={text}
            onChange={(e) => onChange(e.target.value, e.target.selectionStart)}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
            onKeyDown={onKey}
            onPaste={onPaste}
            placeholder={mode === 'note' ? t('composer.notePlaceholder') : t('composer.placeholder')}
            rows={2}
            aria-invalid={tooMany > 0}
            aria-describedby="composer-hint"
            aria-autocomplete="list"
            aria-controls={suggestions.length > 0 ? 'composer-suggestions' : undefined}
          />
        </div>
        <button type="submit" disabled={busy || !text.trim() || tooMany > 0}>
          {mode === 'note' ? t('composer.addNote') : t('composer.send')}
        </button>
        <div id="composer-hint" aria-live="polite">
          {tooMany > 0 && <p className="error">{t('composer.tooLong', { count: tooMany })}</p>}
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          {mode === 'reply' && c.windowExpiresAt && <p className="muted small">{t('composer.hint')}</p>}
          {signature && windowOpen && <p className="muted small">{t('composer.signed', { name: user.name })}</p>}
          {mode === 'note' && <p className="muted small">{t('composer.noteHint')}</p>}
        </div>
      </form>
    </div>
  )
}
