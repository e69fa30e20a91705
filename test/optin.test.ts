import { beforeAll, describe, expect, it } from 'vitest'
import { appendConsentEvents } from '../src/modules/consent/consent.repo.js'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>
const COMPANY = { name: 'Muster Fahrräder GmbH', address: 'Hauptstraße 1, 10115 Berlin', email: 'info@muster.example' }
const NOTICE = { url: 'https://muster.example/datenschutz', version: '2026-11' }
const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() })

describe(`${DIALECT}: double opt-in page and confirmation from the same number`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  let admin: Caller
  beforeAll(async () => {
    ;({ server, agent } = ctx)
    admin = await server.login('admin')
  })
  const submit = (fields: Record<string, string>, ip = '203.0.113.7') => server.app.inject({ method: 'POST', url: '/optin/marketing', remoteAddress: ip, ...form(fields) })
  const contactOf = async (waId: string): Promise<Json | undefined> => (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
  const marketing = async (contactId: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/contacts/${contactId}/consents` })).json().items.find((c: Json) => c.purpose === 'marketing')
  const templatesTo = (waId: string) => server.simulatorState().sent.filter((s) => s.recipient === waId && s.body.type === 'template')

  it('GDPR-13/14: the opt-in page is not published without the company and a privacy-notice version', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/optin/marketing' })
    expect(res.statusCode).toBe(503)
    expect((await submit({ phone: '+4915112345678', consent: 'yes' })).statusCode).toBe(503)
    expect((await admin.inject({ method: 'PUT', url: '/api/settings', payload: { company: COMPANY, privacyNotice: NOTICE } })).statusCode).toBe(200)
    expect((await server.app.inject({ method: 'GET', url: '/optin/nope' })).statusCode).toBe(404)
  })

  it('WA-1, TDDDG-25: names the business and WhatsApp (Meta), links the notice with its version, sets no cookie, loads only our own origin', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/optin/marketing' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Muster Fahrräder GmbH')
    expect(res.body).toMatch(/per WhatsApp erhalten/)
    expect(res.body).toContain('Meta Platforms')
    expect(res.body).toContain('https://muster.example/datenschutz')
    expect(res.body).toContain('2026-11')
    expect(res.body).toMatch(/type="checkbox" value="yes" required>/) // unticked
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.headers['content-security-policy']).toContain("default-src 'none'")
    expect(res.body).not.toMatch(/<script/i)
    expect(res.body).not.toMatch(/(src|href)="https?:\/\/(?!muster\.example)/)
    const en = await server.app.inject({ method: 'GET', url: '/optin/marketing?lang=en' })
    expect(en.body).toContain('via WhatsApp')
  })

  it('UWG-DOI: a submission is pending until the same number answers JA; the confirmation message carries no advertising', async () => {
    const res = await submit({ phone: '0151 2000 0001', consent: 'yes' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('Fast geschafft')
    const contact = (await contactOf('4915120000001'))!
    let m = await marketing(contact.id)
    expect(m.state).toBe('pending')
    const request = m.events[0]
    expect(request).toMatchObject({ kind: 'requested', channel: 'web', noticeVersion: '2026-11', evidence: { ip: '203.0.113.7' } })
    expect(request.text).toContain('Muster Fahrräder GmbH')
    expect(request.textSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(request.expiresAt).toBeTruthy()
    const sent = await eventually(() => templatesTo('4915120000001')[0])
    expect(sent.body.template).toMatchObject({ name: 'optin_confirmation' })
    const category = server.simulatorState().templates.find((t) => t.name === 'optin_confirmation')!.category
    expect(category).toBe('UTILITY')

    // Someone else's "JA" confirms nothing for this number.
    server.simulatorState().customerSends('4915120000099', 'Fremd', 'text', { body: 'JA' })
    await eventually(() => contactOf('4915120000099'))
    expect((await marketing(contact.id)).state).toBe('pending')

    const wamid = server.simulatorState().customerSends('4915120000001', 'Anna', 'button', { text: 'JA', payload: 'JA' })
    m = await eventually(async () => {
      const x = await marketing(contact.id)
      return x.state === 'confirmed' ? x : undefined
    })
    const confirmed = m.events.find((e: Json) => e.kind === 'confirmed')
    expect(confirmed).toMatchObject({ channel: 'whatsapp', evidence: { wamid }, noticeVersion: '2026-11', source: { doubleOptIn: request.id } })
    expect(confirmed.text).toBe(request.text)
  })

  it('UWG-DOI: an unconfirmed request lapses; a late JA confirms nothing', async () => {
    await submit({ phone: '+49 151 20000002', consent: 'yes' }, '203.0.113.8')
    const contact = (await contactOf('4915120000002'))!
    // A request from three days ago, long expired.
    const old = new Date(Date.now() - 3 * 86_400_000)
    await appendConsentEvents(server.database.db, [{ contactId: contact.id, purpose: 'reviews', kind: 'requested', channel: 'web', source: {}, evidence: {}, occurredAt: old.toISOString(), expiresAt: new Date(old.getTime() + 2 * 86_400_000).toISOString() }])
    const all = (await agent.inject({ method: 'GET', url: `/api/contacts/${contact.id}/consents` })).json().items as Json[]
    expect(all.find((c) => c.purpose === 'reviews')!.state).toBe('none')
  })

  it('refuses bad input with a clear message and stores nothing misleading; repeated submissions send one confirmation; rate-limited per number', async () => {
    const noConsent = await submit({ phone: '+4915120000003' }, '203.0.113.9')
    expect(noConsent.statusCode).toBe(400)
    expect(noConsent.body).toContain('Häkchen')
    const badPhone = await submit({ phone: '12', consent: 'yes' }, '203.0.113.9')
    expect(badPhone.statusCode).toBe(400)
    expect(badPhone.body).toContain('gültige Mobilnummer')
    const script = await submit({ phone: '<script>alert(1)</script>', consent: 'yes' }, '203.0.113.9')
    expect(script.statusCode).toBe(400)
    expect(script.body).not.toContain('<script>alert(1)</script>')
    expect(script.body).toContain('&lt;script&gt;')
    expect(await contactOf('4915120000003')).toBeUndefined()

    for (let i = 0; i < 3; i++) expect((await submit({ phone: '+4915120000004', consent: 'yes' }, `198.51.100.${i}`)).statusCode).toBe(200)
    expect((await submit({ phone: '+4915120000004', consent: 'yes' }, '198.51.100.9')).statusCode).toBe(429)
    await eventually(() => templatesTo('4915120000004').length >= 1)
    await new Promise((r) => setTimeout(r, 300))
    expect(templatesTo('4915120000004')).toHaveLength(1)
    const contact = (await contactOf('4915120000004'))!
    expect((await marketing(contact.id)).events.filter((e: Json) => e.kind === 'requested')).toHaveLength(1)
  })

  it('rate-limits per IP address', async () => {
    let last = 0
    for (let i = 0; i < 11; i++) last = (await submit({ phone: `+49151300000${String(i).padStart(2, '0')}`, consent: 'yes' }, '192.0.2.50')).statusCode
    expect(last).toBe(429)
  })

  it('GDPR-13/14: the first answer in a conversation the customer started is preceded by the privacy notice, once per version, and the delivery is recorded', async () => {
    const { conversationId } = await customerWrites(server, '4915120000050', 'Hallo, eine Frage')
    const answer = (body: string) => agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body } } })
    const texts = () => server.simulatorState().sent.filter((s) => s.recipient === '4915120000050').map((s) => String((s.body.text as { body?: string } | undefined)?.body))
    expect((await answer('Gern, worum geht es?')).statusCode).toBe(202)
    await eventually(() => texts().length === 2)
    expect(texts()[0]).toMatch(/^Datenschutzhinweis: Muster Fahrräder GmbH/)
    expect(texts()[0]).toContain('https://muster.example/datenschutz (Version 2026-11)')
    expect(texts()[0]).toMatch(/berechtigtes Interesse/)
    expect(texts()[1]).toBe('Gern, worum geht es?')
    const deliveries = await server.database.db.selectFrom('privacy_notice_deliveries').selectAll().where('conversation_id', '=', conversationId).execute()
    expect(deliveries.map((d) => d.version)).toEqual(['2026-11'])

    expect((await answer('Noch etwas?')).statusCode).toBe(202)
    await eventually(() => texts().length === 3)
    expect(texts()[2]).toBe('Noch etwas?')

    // A new version of the notice goes out once more, before the next answer.
    await admin.inject({ method: 'PUT', url: '/api/settings', payload: { privacyNotice: { ...NOTICE, version: '2027-01' } } })
    await answer('Und jetzt?')
    await eventually(() => texts().length === 5)
    expect(texts()[3]).toContain('(Version 2027-01)')
    expect(texts()[4]).toBe('Und jetzt?')
  })
})
