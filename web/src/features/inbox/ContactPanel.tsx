import { useCallback, useEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Conversation, type Page } from '../../app/api'
import { useLatest } from '../../app/useLatest'
import { useWorkspace } from '../../app/workspace'
import { formatNumber } from './format'
import { ExistingCustomerForm } from './ExistingCustomerForm'
import { usePanelForm } from './usePanelForm'
import { LabelChips } from './LabelChips'
import { Icon } from '../../ui/Icon'

/** Fills `{{phone}}`, `{{waId}}` and `{{name}}` in the CRM link template (URL-encoded). */
export function crmLink(template: string | null, c: Conversation): string | null {
  if (!template) return null
  const values: Record<string, string> = { phone: c.contact.waId ? `+${c.contact.waId}` : '', waId: c.contact.waId ?? '', name: c.contact.name ?? '' }
  return template.replaceAll(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ''))
}

const when = (iso: string, lng: string) => new Date(iso).toLocaleString(lng === 'en' ? 'en-GB' : 'de-DE', { dateStyle: 'medium', timeStyle: 'short' })

type Consent = {
  purpose: string
  label: { de: string; en: string }
  state: 'none' | 'pending' | 'confirmed' | 'withdrawn' | 'objected'
  events: { kind: string; occurredAt: string; channel: string }[]
  existingCustomer: { saleReference: string; active: boolean } | null
}

/** Consent per purpose, and recording an objection the customer stated elsewhere (phone, letter). */
function ConsentList({ contactId, version }: { contactId: string; version: number }) {
  const { t, i18n } = useTranslation()
  const [items, setItems] = useState<Consent[]>([])
  const latest = useLatest() // another contact's consents, answered late, must not show here
  const load = useCallback(() => latest(api<Page<Consent>>('GET', `/api/contacts/${contactId}/consents`), (p) => setItems(p.items), () => undefined), [contactId, latest])
  useEffect(() => {
    void load()
  }, [load, version])

  const { open: recording, setOpen: setRecording, error, submit: record } = usePanelForm((f) => api('POST', `/api/contacts/${contactId}/consents`, { kind: 'objected', reason: String(f.get('reason') ?? '') }), load)

  return (
    <>
      <ul className="consents">
        {items.map((c) => (
          <li key={c.purpose}>
            <span>{i18n.language === 'en' ? c.label.en : c.label.de}</span>{' '}
            <span className={`consent-state consent-${c.state}`}>{t(`consent.state.${c.state}`)}</span>
            {c.existingCustomer && (
              <span className={`consent-state consent-${c.existingCustomer.active ? 'existing' : 'withdrawn'}`} title={c.existingCustomer.saleReference}>
                {t(c.existingCustomer.active ? 'consent.existing.badge' : 'consent.existing.ended')}
              </span>
            )}
          </li>
        ))}
      </ul>
      <ExistingCustomerForm contactId={contactId} purposes={items.map((c) => ({ key: c.purpose, label: i18n.language === 'en' ? c.label.en : c.label.de }))} onDone={() => void load()} />{' '}
      <a className="small" href={`/api/contacts/${contactId}/consents/evidence`} target="_blank" rel="noopener">
        {t('consent.evidence')}
      </a>{' '}
      {recording ? (
        <form className="card-form" onSubmit={record} aria-label={t('consent.recordObjection')}>
          <label>
            {t('consent.reason')}
            <input name="reason" required minLength={3} maxLength={500} placeholder={t('consent.reasonPlaceholder')} />
          </label>
          <button type="submit">{t('consent.record')}</button>
          {error && <p role="alert" className="error small">{error}</p>}
        </form>
      ) : (
        <button type="button" className="link small" onClick={() => setRecording(true)}>
          {t('consent.recordObjection')}
        </button>
      )}
    </>
  )
}

/** Rectification (GDPR-16): a corrected name is appended to the history; the WhatsApp profile name stays on record. */
function NameCorrection({ contactId }: { contactId: string }) {
  const { t } = useTranslation()
  const { open, setOpen, error, submit } = usePanelForm((f) => api('POST', `/api/contacts/${contactId}/corrections`, { field: 'name', value: f.get('value'), reason: f.get('reason') }))
  if (!open) {
    return (
      <button type="button" className="link small" onClick={() => setOpen(true)} aria-label={t('contact.correctName')}>
        {t('contact.correct')}
      </button>
    )
  }
  return (
    <form className="card-form" onSubmit={submit} aria-label={t('contact.correctName')}>
      <label>
        {t('contact.newName')}
        <input name="value" required maxLength={200} />
      </label>
      <label>
        {t('contact.correctionReason')}
        <input name="reason" required minLength={3} maxLength={500} />
      </label>
      <button type="submit">{t('contact.correct')}</button>
      {error && <p role="alert" className="error small">{error}</p>}
    </form>
  )
}

/** The contact's WhatsApp identity, first and last contact, consent, labels and the link into the CRM. */
export function ContactPanel({ conversation: c, onClose, version }: { conversation: Conversation; onClose: () => void; version: number }) {
  const { t, i18n } = useTranslation()
  const { settings, user, simulatedChannels } = useWorkspace()
  const close = useRef<HTMLButtonElement>(null)
  useEffect(() => close.current?.focus(), [c.id])
  const link = crmLink(settings.crmUrlTemplate, c)
  return (
    <aside id="contact-panel" className="contact-panel" aria-label={t('contact.title')}>
      <header>
        <h2>{t('contact.title')}</h2>
        <button ref={close} type="button" className="icon" onClick={onClose} aria-label={t('app.close')}>
          <Icon name="close" />
        </button>
      </header>
      <dl>
        <dt>{t('contact.name')}</dt>
        <dd>
          {c.contact.name ?? '—'} {user.role !== 'auditor' && <NameCorrection key={c.contact.id} contactId={c.contact.id} />}
        </dd>
        <dt>{t('contact.number')}</dt>
        <dd>
          {c.contact.waId ? formatNumber(c.contact.waId) : '—'}
          {/* Trying Postfach with the simulator: answer as this customer, on their (simulated) phone. */}
          {c.contact.waId && simulatedChannels.includes(c.channelId) && (
            <>
              {' '}
              <a className="small" href={`/simulator?number=${c.contact.waId}`} target="_blank" rel="noopener">
                {t('contact.simulatorPhone')}
              </a>
            </>
          )}
        </dd>
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
        <dd>
          <ConsentList contactId={c.contact.id} version={version} />
        </dd>
        <dt>{t('labels.title')}</dt>
        <dd>{c.labelIds.length ? <LabelChips ids={c.labelIds} /> : '—'}</dd>
      </dl>
      <div className="panel-actions">
        {link ? (
          <a className="button-link" href={link} target="_blank" rel="noopener noreferrer">
            {t('contact.openCrm')} ↗
          </a>
        ) : (
          <p className="muted small">{t('contact.noCrm')}</p>
        )}
        {user.role === 'admin' && (
          <a className="small" href={`/api/contacts/${c.contact.id}/export`} download>
            {t('contact.export')}
          </a>
        )}
      </div>
    </aside>
  )
}
