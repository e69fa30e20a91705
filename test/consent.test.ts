import { beforeAll, describe, expect, it } from 'vitest'
import { type ConsentFact, deriveState, refusalFor } from '../src/modules/consent/consent-state.js'
import { KeywordMatcher } from '../src/modules/consent/keywords.js'
import { contactByNumber, customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>
const MARKETING_TEMPLATE = { type: 'template', template: { name: 'welcome_back', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Erika' }] }] } }
const UTILITY_TEMPLATE = { type: 'template', template: { name: 'order_shipped', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '4711' }] }] } }

describe(`${DIALECT}: consent ledger, keywords and the marketing check`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })
  const send = (conversationId: string, payload: object) => agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload })
  const contactOf = async (waId: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items[0]
  const consents = async (contactId: string): Promise<Json[]> => (await agent.inject({ method: 'GET', url: `/api/contacts/${contactId}/consents` })).json().items
  const stateOf = async (contactId: string, purpose = 'marketing') => (await consents(contactId)).find((c) => c.purpose === purpose)!.state
  const sentTo = (waId: string) => server.simulatorState().sent.filter((s) => s.recipient === waId)

  it('GDPR-6: a service reply in an open conversation is allowed; a marketing template without consent is refused with 409 no-consent', async () => {
    const { conversationId } = await customerWrites(server, '4915300000001', 'Wann kommt mein Paket?')
    expect((await send(conversationId, { type: 'text', text: { body: 'Morgen.' } })).statusCode).toBe(202)
    expect((await send(conversationId, UTILITY_TEMPLATE)).statusCode).toBe(202)
    const before = await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()
    const refused = await send(conversationId, MARKETING_TEMPLATE)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().type).toMatch(/\/no-consent$/)
    expect((await server.database.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute()).length).toBe(before.length)
  })

  it('UWG-7: a send declared as a review request needs consent for that purpose too, and unknown purposes are refused', async () => {
    const { conversationId } = await customerWrites(server, '4915300000002', 'Danke!')
    const review = await send(conversationId, { ...UTILITY_TEMPLATE, purpose: 'reviews' })
    expect(review.statusCode).toBe(409)
    expect(review.json().details ?? review.json()).toMatchObject({ purpose: 'reviews' })
    expect((await send(conversationId, { ...UTILITY_TEMPLATE, purpose: 'nope' })).statusCode).toBe(400)
    // A number never seen cannot have consented; nothing is created for it.
    const cold = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '4915300009999', ...MARKETING_TEMPLATE } })
    expect(cold.statusCode).toBe(409)
    expect(await contactByNumber(server, '4915300009999')).toBeUndefined()
  })

  it('GDPR-7 (a): START from the customer’s own number confirms marketing, with the message as evidence; the marketing send then goes out', async () => {
    const { conversationId } = await customerWrites(server, '4915300000003', 'Hallo')
    const { wamid } = await customerWrites(server, '4915300000003', 'START')
    const contact = await contactOf('4915300000003')
    expect(await stateOf(contact.id)).toBe('confirmed')
    const confirmed = (await consents(contact.id)).find((c) => c.purpose === 'marketing')!.events.find((e: Json) => e.kind === 'confirmed')
    expect(confirmed).toMatchObject({ channel: 'whatsapp', text: 'START', evidence: { wamid } })
    expect(confirmed.textSha256).toMatch(/^[0-9a-f]{64}$/)
    // The customer gets one short confirmation.
    await eventually(() => sentTo('4915300000003').some((s) => /STOP/.test(String((s.body.text as { body?: string } | undefined)?.body))))
    const res = await send(conversationId, MARKETING_TEMPLATE)
    expect(res.statusCode).toBe(202)
    await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('id', '=', res.json().id).executeTakeFirstOrThrow()).status === 'read')
    expect((await server.database.db.selectFrom('messages').select('purpose').where('id', '=', res.json().id).executeTakeFirstOrThrow()).purpose).toBe('marketing')
    // "START <topic>" names a purpose; an unknown topic is an ordinary message.
    await customerWrites(server, '4915300000003', 'Start Bewertungsanfragen')
    expect(await stateOf(contact.id, 'reviews')).toBe('confirmed')
  })

  it('GDPR-7 (b), WA-2, GDPR-21: STOP objects to every purpose at once, blocks new sends (409 objected) and stops a send already queued', async () => {
    const { conversationId } = await customerWrites(server, '4915300000004', 'START')
    const contact = await contactOf('4915300000004')
    expect(await stateOf(contact.id)).toBe('confirmed')
    await server.sendWorker.stop()
    const queued = await send(conversationId, MARKETING_TEMPLATE)
    expect(queued.statusCode).toBe(202)
    await customerWrites(server, '4915300000004', 'Stopp!')
    expect(await stateOf(contact.id)).toBe('objected')
    expect(await stateOf(contact.id, 'reviews')).toBe('objected')
    server.sendWorker.start()
    const failed = await eventually(async () => {
      const m = await server.database.db.selectFrom('messages').selectAll().where('id', '=', queued.json().id).executeTakeFirstOrThrow()
      return m.status === 'failed' ? m : undefined
    })
    expect(failed.error_title).toBe('objected')
    expect(sentTo('4915300000004').some((s) => s.body.type === 'template')).toBe(false)
    const refused = await send(conversationId, MARKETING_TEMPLATE)
    expect(refused.statusCode).toBe(409)
    expect(refused.json().type).toMatch(/\/objected$/)
    // The suppression list keeps a keyed hash of the number, never the number.
    const suppressions = await server.database.db.selectFrom('suppressions').selectAll().execute()
    expect(suppressions.length).toBeGreaterThan(0)
    expect(JSON.stringify(suppressions)).not.toContain('4915300000004')
  })

  it('WA-2: Meta\'s marketing opt-out (user_preferences stop, and a send failing with 131050) is recorded as an objection', async () => {
    const { conversationId } = await customerWrites(server, '4915300000006', 'START')
    const contact = await contactOf('4915300000006')
    const prefs = {
      object: 'whatsapp_business_account',
      entry: [{ id: server.simulatorState().identity.wabaId, changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '4930123456789', phone_number_id: server.simulatorState().identity.phoneNumberId }, contacts: [{ wa_id: '4915300000006', profile: { name: 'Test Kunde' } }], user_preferences: [{ wa_id: '4915300000006', detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: Math.floor(Date.now() / 1000) }] } }] }],
    }
    expect((await server.webhook(prefs)).statusCode).toBe(200)
    expect(await stateOf(contact.id)).toBe('objected')
    const event = (await consents(contact.id)).find((c) => c.purpose === 'marketing')!.events.at(-1)
    expect(event).toMatchObject({ kind: 'objected', channel: 'meta', source: { signal: 'user_preferences stop' } })
    expect((await send(conversationId, MARKETING_TEMPLATE)).statusCode).toBe(409)

    // The asynchronous form: a status webhook failing with 131050.
    const fixture = (await import('node:fs')).readFileSync(new URL('../../shared/whatsapp-fixtures/status-failed-131050.json', import.meta.url), 'utf8')
    expect((await server.webhook(fixture)).statusCode).toBe(200)
    const other = await contactOf('4915112345678')
    expect(await stateOf(other.id)).toBe('objected')

    // The synchronous form: the simulator's opted-out number answers a marketing send with 131050.
    const optedOut = '491550000002'
    const c2 = (await customerWrites(server, optedOut, 'START')).conversationId
    const res = await send(c2, MARKETING_TEMPLATE)
    expect(res.statusCode).toBe(202)
    await eventually(async () => (await server.database.db.selectFrom('messages').select('status').where('id', '=', res.json().id).executeTakeFirstOrThrow()).status === 'failed')
    expect(await stateOf((await contactOf(optedOut)).id)).toBe('objected')
  })

  it('GDPR-7, UWG-DOI: the evidence of a contact prints with wording, hash, and the raw confirming message', async () => {
    const { wamid } = await customerWrites(server, '4915300000007', 'START')
    const contact = await contactOf('4915300000007')
    const res = await agent.inject({ method: 'GET', url: `/api/contacts/${contact.id}/consents/evidence` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.body).toContain('Einwilligungsnachweis')
    expect(res.body).toContain('+4915300000007')
    expect(res.body).toContain('confirmed')
    expect(res.body).toContain(wamid)
    expect(res.body).toContain('&quot;body&quot;:&quot;START&quot;') // the raw message, escaped
    expect(res.body).not.toMatch(/<script/i)
    const auditor = await server.login('auditor')
    expect((await auditor.inject({ method: 'GET', url: `/api/contacts/${contact.id}/consents/evidence` })).statusCode).toBe(200)
    expect((await server.app.inject({ method: 'GET', url: `/api/contacts/${contact.id}/consents/evidence` })).statusCode).toBe(401)
  })

  it('GDPR-7 (c): consent events cannot be edited or deleted, only superseded', async () => {
    await expect(server.database.db.updateTable('consent_events').set({ kind: 'confirmed' }).execute()).rejects.toThrow(/append-only/)
    await expect(server.database.db.deleteFrom('consent_events').execute()).rejects.toThrow(/append-only/)
  })

  it('agents record a withdrawal or an objection stated elsewhere, with a reason; never a consent', async () => {
    const { wamid: _ } = await customerWrites(server, '4915300000005', 'START')
    const contact = await contactOf('4915300000005')
    const url = `/api/contacts/${contact.id}/consents`
    expect((await agent.inject({ method: 'POST', url, payload: { kind: 'confirmed', reason: 'am Telefon' } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url, payload: { kind: 'withdrawn' } })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'POST', url, payload: { kind: 'withdrawn', purpose: 'nope', reason: 'Brief' } })).statusCode).toBe(400)
    const auditor = await server.login('auditor')
    expect((await auditor.inject({ method: 'POST', url, payload: { kind: 'withdrawn', reason: 'Brief' } })).statusCode).toBe(403)
    expect(await stateOf(contact.id)).toBe('confirmed')
    const res = await agent.inject({ method: 'POST', url, payload: { kind: 'withdrawn', purpose: 'marketing', reason: 'Am Telefon widerrufen' } })
    expect(res.statusCode).toBe(201)
    expect(await stateOf(contact.id)).toBe('withdrawn')
    const event = (await consents(contact.id)).find((c) => c.purpose === 'marketing')!.events.at(-1)
    expect(event).toMatchObject({ kind: 'withdrawn', channel: 'agent', recordedBy: agent.userId, source: { reason: 'Am Telefon widerrufen' } })
    expect((await agent.inject({ method: 'GET', url: '/api/contacts/nope/consents' })).statusCode).toBe(404)
  })
})

describe('consent keywords', () => {
  it('match the whole message, case- and accent-insensitive, ignoring punctuation', () => {
    const k = new KeywordMatcher()
    for (const t of ['STOP', 'Stopp!', ' abbestellen ', 'Unsubscribe.', 'ABMELDEN']) expect(k.match(t), t).toEqual({ action: 'stop' })
    for (const t of ['stop the delivery please', 'Bitte nicht stoppen', 'Ja', '']) expect(k.match(t), t).toBeUndefined()
    expect(k.match('START newsletter')).toEqual({ action: 'start', topic: 'newsletter' })
    expect(k.match('Anmelden')).toEqual({ action: 'start', topic: null })
  })
})

describe('consent state (property test)', () => {
  /** An independent oracle: allowed iff the latest event that is not a request is a confirmation. */
  const oracle = (events: ConsentFact[]) => {
    const decisive = [...events].sort((a, b) => (a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : 0)).filter((e) => e.kind !== 'requested')
    return decisive.at(-1)?.kind === 'confirmed'
  }
  it('never allows a marketing send without a confirmed, unwithdrawn, unobjected consent', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const kinds = ['requested', 'confirmed', 'withdrawn', 'objected'] as const
    const now = '2026-06-01T00:00:00.000Z'
    for (let run = 0; run < 5000; run++) {
      const events: ConsentFact[] = Array.from({ length: Math.floor(random() * 8) }, () => {
        const at = new Date(Date.parse('2026-01-01') + Math.floor(random() * 200) * 86_400_000).toISOString()
        const kind = kinds[Math.floor(random() * kinds.length)]!
        return { kind, occurredAt: at, expiresAt: kind === 'requested' ? new Date(Date.parse(at) + 2 * 86_400_000).toISOString() : null }
      })
      const allowed = refusalFor(deriveState(events, now)) === undefined
      expect(allowed, JSON.stringify(events)).toBe(oracle(events))
    }
  })
})
