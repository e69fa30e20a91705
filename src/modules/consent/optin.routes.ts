import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import parsePhoneNumber from 'libphonenumber-js'
import type { Db } from '../../db/database.js'
import { SlidingWindow } from '../../platform/http/sliding-window.js'
import { HOUR, nowIso } from '../../platform/time.js'
import { upsertContact } from '../contacts/contacts.repo.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { startConversation } from '../outbound/send.service.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings, PrivacyNotice } from '../settings/settings.routes.js'
import { appendConsentEvents, listConsentEvents, listPurposes } from './consent.repo.js'
import { deriveState } from './consent-state.js'
import { consentText, OPTIN_CSS, type OptinContext, type OptinLang, renderDone, renderForm } from './optin-page.js'

export const OPTIN_TTL_MS = 48 * HOUR

export type OptinRoutesOptions = {
  db: Db
  vault: MessageVault
  channel: { readonly phoneNumberId: string }
  /** The neutral, approved template that asks the customer to confirm (no advertising in it). */
  confirmationTemplate: { name: string; language: string }
  onQueued: (conversationId: string) => void
}

// Nothing but our own stylesheet; the form posts to us; never framed.
const OPTIN_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const ERRORS = {
  de: { consent: 'Bitte setzen Sie das Häkchen, um einzuwilligen.', phone: 'Bitte geben Sie eine gültige Mobilnummer ein, z. B. +49 151 12345678.', busy: 'Zu viele Versuche. Bitte versuchen Sie es später noch einmal.' },
  en: { consent: 'Please tick the box to give your consent.', phone: 'Please enter a valid mobile number, e.g. +49 151 12345678.', busy: 'Too many attempts. Please try again later.' },
}

/**
 * `GET /optin/:purpose` shows the double opt-in form, `POST` records the request (pending, with the
 * exact text, notice version, IP and user agent) and sends the confirmation template. Consent
 * becomes confirmed only when the same number answers (see ConsentService). Rate-limited per IP
 * and per number; a repeated submission while a request is pending sends nothing new.
 */
export const optinRoutes: FastifyPluginAsync<OptinRoutesOptions> = async (app, o) => {
  const perIp = new SlidingWindow(10, 10 * 60_000)
  const perNumber = new SlidingWindow(3, HOUR)
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  app.get('/optin-assets/optin.css', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(OPTIN_CSS),
  )

  async function contextFor(purposeKey: string, lang: OptinLang): Promise<OptinContext | 'unknown' | 'unconfigured'> {
    const purpose = (await listPurposes(o.db)).find((p) => p.key === purposeKey)
    if (!purpose) return 'unknown'
    const company = await getSetting<CompanySettings>(o.db, 'company')
    const notice = await getSetting<PrivacyNotice>(o.db, 'privacy.notice')
    // GDPR-13/14, WA-1: no opt-in page without the company's identity and a privacy-notice version.
    if (!company || !notice) return 'unconfigured'
    return { lang, purposeKey, purposeLabel: lang === 'en' ? purpose.label_en : purpose.label_de, company, notice }
  }

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', OPTIN_CSP).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send(body)
  const langOf = (q: unknown): OptinLang => ((q as { lang?: string }).lang === 'en' ? 'en' : 'de')
  const missing = (reply: FastifyReply, what: 'unknown' | 'unconfigured') =>
    html(reply, what === 'unknown' ? 404 : 503, what === 'unknown' ? '<!doctype html><title>404</title><p>Not found.</p>' : '<!doctype html><title>503</title><p>Opt-in is not configured yet (company and privacy notice).</p>')

  app.get('/optin/:purpose', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const c = await contextFor((request.params as { purpose: string }).purpose, langOf(request.query))
    if (typeof c === 'string') return missing(reply, c)
    return html(reply, 200, renderForm(c))
  })

  app.post('/optin/:purpose', { config: { access: 'public' }, bodyLimit: 4096, schema: { hide: true } }, async (request, reply) => {
    const lang = langOf(request.query)
    const c = await contextFor((request.params as { purpose: string }).purpose, lang)
    if (typeof c === 'string') return missing(reply, c)
    const body = (request.body ?? {}) as Record<string, unknown>
    const phoneInput = typeof body.phone === 'string' ? body.phone.slice(0, 30) : ''
    if (perIp.take(request.ip) > 0) return html(reply, 429, renderForm(c, { phone: phoneInput, error: ERRORS[lang].busy }))
    if (body.consent !== 'yes') return html(reply, 400, renderForm(c, { phone: phoneInput, error: ERRORS[lang].consent }))
    const phone = parsePhoneNumber(phoneInput, 'DE')
    if (!phone?.isValid()) return html(reply, 400, renderForm(c, { phone: phoneInput, error: ERRORS[lang].phone }))
    const waId = phone.number.slice(1)
    if (perNumber.take(waId) > 0) return html(reply, 429, renderForm(c, { phone: phoneInput, error: ERRORS[lang].busy }))

    const now = nowIso()
    const contact = await o.db.transaction().execute((tx) => upsertContact(tx, o.vault.details, { waId, userId: undefined }, now))
    const pending = deriveState((await listConsentEvents(o.db, contact.id)).filter((e) => e.purpose === c.purposeKey).map((e) => ({ kind: e.kind, occurredAt: e.occurred_at, expiresAt: e.expires_at })), now)
    if (pending !== 'pending') {
      const text = consentText(c)
      await appendConsentEvents(o.db, [
        {
          contactId: contact.id,
          purpose: c.purposeKey,
          kind: 'requested',
          channel: 'web',
          text,
          noticeVersion: c.notice.version,
          source: { form: `/optin/${c.purposeKey}`, lang },
          evidence: { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 300) },
          occurredAt: now,
          expiresAt: new Date(Date.now() + OPTIN_TTL_MS).toISOString(),
        },
      ])
      const message = await startConversation(o.db, o.vault, {
        channelId: o.channel.phoneNumberId,
        to: waId,
        message: {
          type: 'template',
          template: { name: o.confirmationTemplate.name, language: { code: o.confirmationTemplate.language }, components: [{ type: 'body', parameters: [{ type: 'text', text: c.purposeLabel }, { type: 'text', text: c.company.name }] }] },
        },
        sentBy: null,
      })
      o.onQueued(message.conversation_id)
    }
    return html(reply, 200, renderDone(c))
  })
}
