import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import type { Conversation } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { formatNumber } from './format'
import { LabelChips } from './LabelChips'

/** Fills `{{phone}}`, `{{waId}}` and `{{name}}` in the CRM link template (URL-encoded). */
export function crmLink(template: string | null, c: Conversation): string | null {
  if (!template) return null
  const values: Record<string, string> = { phone: c.contact.waId ? `+${c.contact.waId}` : '', waId: c.contact.waId ?? '', name: c.contact.name ?? '' }
  return template.replaceAll(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ''))
}

const when = (iso: string, lng: string) => new Date(iso).toLocaleString(lng === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium', timeStyle: 'short' })

/** The contact's WhatsApp identity, first and last contact, labels and the link into the CRM. */
export function ContactPanel({ conversation: c, onClose }: { conversation: Conversation; onClose: () => void; onChanged: () => void }) {
  const { t, i18n } = useTranslation()
  const { settings } = useWorkspace()
  const close = useRef<HTMLButtonElement>(null)
  useEffect(() => close.current?.focus(), [c.id])
  const link = crmLink(settings.crmUrlTemplate, c)
  return (
    <aside id="contact-panel" className="contact-panel" aria-label={t('contact.title')}>
      <header>
        <h2>{t('contact.title')}</h2>
        <button ref={close} type="button" className="icon" onClick={onClose} aria-label={t('app.close')}>
          ✕
        </button>
      </header>
      <dl>
        <dt>{t('contact.name')}</dt>
        <dd>{c.contact.name ?? '—'}</dd>
        <dt>{t('contact.number')}</dt>
        <dd>{c.contact.waId ? formatNumber(c.contact.waId) : '—'}</dd>
        {c.contact.userId && (
          <>
            <dt>{t('contact.userId')}</dt>
            <dd className="small">{c.contact.userId}</dd>
          </>
        )}
        <dt>{t('contact.firstContact')}</dt>
        <dd>{when(c.contact.firstContactAt, i18n.language)}</dd>
        <dt>{t('contact.lastContact')}</dt>
        <dd>{when(c.contact.lastContactAt, i18n.language)}</dd>
        <dt>{t('contact.consent')}</dt>
        <dd className="muted">{t('contact.consentUnknown')}</dd>
        <dt>{t('labels.title')}</dt>
        <dd>{c.labelIds.length ? <LabelChips ids={c.labelIds} /> : '—'}</dd>
      </dl>
      {link ? (
        <a className="button-link" href={link} target="_blank" rel="noopener noreferrer">
          {t('contact.openCrm')} ↗
        </a>
      ) : (
        <p className="muted small">{t('contact.noCrm')}</p>
      )}
    </aside>
  )
}
