import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>
const template = (name: string) => ({ type: 'template', template: { name, language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '20' }] }] } })

describe(`${DIALECT}: consent configuration, imports and the objection notice`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  let admin: Caller
  beforeAll(async () => {
    ;({ server, agent } = ctx)
    admin = await server.login('admin')
  })
  const contactOf = async (waId: string): Promise<Json | undefined> => (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
  const stateOf = async (contactId: string, purpose: string) => (await agent.inject({ method: 'GET', url: `/api/contacts/${contactId}/consents` })).json().items.find((c: Json) => c.purpose === purpose)?.state

  it('GDPR-13/14, UWG-7-2-3: a marketing template that does not say how to object is refused, the first one included; one with a STOP footer goes out', async () => {
    const { conversationId } = await customerWrites(server, '4915500000001', 'START')
    const contact = (await contactOf('4915500000001'))!
    await eventually(async () => (await stateOf(contact.id, 'marketing')) === 'confirmed')
    const before = await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()
    const refused = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: template('flash_sale') })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().type).toMatch(/template-without-opt-out$/)
    expect(await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).toHaveLength(before.length)
    const first = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: template('welcome_back') })
    expect(first.statusCode).toBe(202)
    const sent = await eventually(() => server.simulatorState().sent.find((s) => s.bizOpaque === first.json().id))
    const approved = server.simulatorState().templates.find((t) => t.name === (sent.body.template as { name: string }).name)!
    expect(JSON.stringify(approved.components)).toMatch(/STOP/)
  })

  it('admins add consent purposes; the opt-in page serves them; agents cannot', async () => {
    const created = await admin.inject({ method: 'POST', url: '/api/consent/purposes', payload: { key: 'newsletter', label: { de: 'Monatlicher Newsletter', en: 'Monthly newsletter' } } })
    expect(created.statusCode).toBe(201)
    expect((await admin.inject({ method: 'POST', url: '/api/consent/purposes', payload: { key: 'newsletter', label: { de: 'Doppelt', en: 'Twice' } } })).statusCode).toBe(409)
    expect((await admin.inject({ method: 'POST', url: '/api/consent/purposes', payload: { key: 'Bad Key!', label: { de: 'xx', en: 'xx' } } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/consent/purposes', payload: { key: 'offers', label: { de: 'Angebote', en: 'Offers' } } })).statusCode).toBe(403)
    const purposes = (await agent.inject({ method: 'GET', url: '/api/consent/purposes' })).json().items.map((p: Json) => p.key)
    expect(purposes).toEqual(expect.arrayContaining(['marketing', 'reviews', 'newsletter']))
    await server.database.db.insertInto('settings').values([
      { key: 'company', value: JSON.stringify({ name: 'Muster GmbH', address: 'Hauptstraße 1, 10115 Berlin' }), updated_by: null, updated_at: new Date().toISOString() },
      { key: 'privacy.notice', value: JSON.stringify({ url: 'https://muster.example/datenschutz', version: '3' }), updated_by: null, updated_at: new Date().toISOString() },
    ]).execute()
    const page = await server.app.inject({ method: 'GET', url: '/optin/newsletter' })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('Monatlicher Newsletter')
  })

  it('WA-2: the opt-out keywords are configurable; a new word withdraws at once, an ambiguous list is refused', async () => {
    const current = (await agent.inject({ method: 'GET', url: '/api/consent/keywords' })).json()
    expect(current.stop).toContain('stopp')
    expect(current.confirm).toContain('bestätigen')
    expect((await admin.inject({ method: 'PUT', url: '/api/consent/keywords', payload: { ...current, start: [...current.start, 'stopp'] } })).json().type).toMatch(/keywords-ambiguous$/)
    expect((await agent.inject({ method: 'PUT', url: '/api/consent/keywords', payload: current })).statusCode).toBe(403)
    const put = await admin.inject({ method: 'PUT', url: '/api/consent/keywords', payload: { ...current, stop: [...current.stop, 'Schluss damit'] } })
    expect(put.statusCode).toBe(200)
    expect(put.json().stop).toContain('Schluss damit')
    await customerWrites(server, '4915500000002', 'START')
    const contact = (await contactOf('4915500000002'))!
    await eventually(async () => (await stateOf(contact.id, 'marketing')) === 'confirmed')
    await customerWrites(server, '4915500000002', 'Schluss damit!')
    await eventually(async () => (await stateOf(contact.id, 'marketing')) === 'objected')
  })

  it('GDPR-21, UWG-DOI: an import records pending requests with provenance, never re-adds objectors or suppressed numbers, and only the person’s own JA confirms', async () => {
    // 4915500000002 objected above (STOP synonym); 4915500000003 is new.
    const res = await admin.inject({
      method: 'POST',
      url: '/api/consent/import',
      payload: {
        purpose: 'marketing',
        text: 'Ja, ich möchte Angebote der Muster GmbH per WhatsApp erhalten.',
        noticeVersion: '3',
        provenance: { description: 'Papierformulare vom Messestand, Oktober 2026', reference: 'Ordner 12' },
        entries: [{ phone: '+49 155 00000002' }, { phone: '0155 00000003' }, { phone: '0155 00000003' }, { phone: 'kein Telefon' }],
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ imported: 1, skipped: { suppressed: 1, duplicate: 1, invalid: 1 } })
    const imported = (await contactOf('4915500000003'))!
    expect(await stateOf(imported.id, 'marketing')).toBe('pending')
    const events = (await agent.inject({ method: 'GET', url: `/api/contacts/${imported.id}/consents` })).json().items.find((c: Json) => c.purpose === 'marketing').events
    expect(events[0]).toMatchObject({ kind: 'requested', channel: 'import', text: 'Ja, ich möchte Angebote der Muster GmbH per WhatsApp erhalten.', noticeVersion: '3', source: { description: 'Papierformulare vom Messestand, Oktober 2026', reference: 'Ordner 12' } })
    // The objector is not re-added: still objected.
    expect(await stateOf((await contactOf('4915500000002'))!.id, 'marketing')).toBe('objected')
    // Pending is not consent; the person's own JA confirms.
    const { conversationId } = await customerWrites(server, '4915500000003', 'Hallo')
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: template('welcome_back') })).statusCode).toBe(409)
    await customerWrites(server, '4915500000003', 'JA')
    await eventually(async () => (await stateOf(imported.id, 'marketing')) === 'confirmed')
    // Bad input: unknown purpose, no provenance, agents.
    expect((await admin.inject({ method: 'POST', url: '/api/consent/import', payload: { purpose: 'nope', text: 'x'.repeat(30), provenance: { description: 'irgendwoher kommend' }, entries: [{ phone: '015500000009' }] } })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'POST', url: '/api/consent/import', payload: { purpose: 'marketing', text: 'x'.repeat(30), entries: [{ phone: '015500000009' }] } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url: '/api/consent/import', payload: {} })).statusCode).toBe(403)
    expect(await contactOf('4915500000009')).toBeUndefined()
  })
})
