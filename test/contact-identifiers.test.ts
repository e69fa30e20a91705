import { beforeAll, describe, expect, it } from 'vitest'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { contactByNumber, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

/**
 * Numbers and WhatsApp user ids are sealed at rest (GDPR-32) and looked up by keyed hashes: a
 * contact known only by its BSUID gets its number later, and is then found by it everywhere.
 */
describe(`${DIALECT}: a contact's number and user id, sealed and looked up by their keys`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })

  it('a customer who wrote by username only is found by number once Meta names it, and the number is stored sealed', async () => {
    const identity = server.simulatorState().identity
    const userId = 'DE.7788990011223344556'
    const waId = '4915900000777'
    const wamid = 'wamid.username-only-1'
    // A username user writes without a phone number (BSUID only).
    const message = messagesEnvelope(identity, {
      contacts: [{ user_id: userId, profile: { name: 'Una Username' } }],
      messages: [{ from_user_id: userId, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Hallo ohne Nummer' } }],
    })
    expect((await server.webhook(message)).statusCode).toBe(200)
    const { conversation_id: conversationId } = await eventually(() => server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirst())
    expect(await contactByNumber(server, waId)).toBeUndefined()
    const conversation = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}` })).json()
    expect(conversation.contact).toMatchObject({ name: 'Una Username', userId, waId: null })

    // Meta's marketing opt-out names both: the contact found by its user id takes the number.
    const optOut = {
      object: 'whatsapp_business_account',
      entry: [{ id: identity.wabaId, changes: [{ field: 'user_preferences', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: identity.displayPhoneNumber, phone_number_id: identity.phoneNumberId }, contacts: [{ wa_id: waId, user_id: userId, profile: { name: 'Una Username' } }], user_preferences: [{ wa_id: waId, user_id: userId, category: 'marketing_messages', value: 'stop', detail: 'User requested to stop marketing messages', timestamp: Math.floor(Date.now() / 1000) }] } }] }],
    }
    expect((await server.webhook(optOut)).statusCode).toBe(200)

    const byNumber = (await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items as Json[]
    expect(byNumber).toHaveLength(1)
    expect(byNumber[0]).toMatchObject({ id: conversation.contact.id, waId, userId, name: 'Una Username' })
    expect((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}` })).json().contact).toMatchObject({ waId, userId })
    // Search finds the number by its ending, now that it is known.
    const found = (await agent.inject({ method: 'GET', url: '/api/search?q=0159 00000777' })).json().conversations as Json[]
    expect(found.map((c) => c.conversationId)).toEqual([conversationId])

    // At rest: neither number nor user id in the row, only their sealed forms and lookup keys.
    const row = await server.database.db.selectFrom('contacts').selectAll().where('id', '=', conversation.contact.id).executeTakeFirstOrThrow()
    expect(`${row.wa_id} ${row.user_id}`).not.toMatch(/4915900000777|7788990011223344556/)
    expect(row).toMatchObject({ wa_key: server.vault.details.lookupKey('wa', waId), user_key: server.vault.details.lookupKey('user', userId) })
  })

  it('moves each contact’s last contact time to its newest message, for several customers in one group, and never back', async () => {
    const identity = server.simulatorState().identity
    const numbers = ['4915900000801', '4915900000802', '4915900000803']
    const at = (seconds: number) => String(Math.floor(Date.parse('2026-11-20T10:00:00Z') / 1000) + seconds)
    const write = (waId: string, id: string, timestamp: string, name = `Kunde ${waId.slice(-3)}`) =>
      server.webhook(messagesEnvelope(identity, { contacts: [{ wa_id: waId, profile: { name } }], messages: [{ from: waId, id, timestamp, type: 'text', text: { body: 'Hallo' } }] }))
    for (const n of numbers) expect((await write(n, `wamid.touch-first-${n}`, at(0))).statusCode).toBe(200)
    const lastContact = async (waId: string) => ((await agent.inject({ method: 'GET', url: `/api/contacts?waId=${waId}` })).json().items as Json[])[0]?.lastContactAt
    for (const n of numbers) expect(await lastContact(n)).toBe('2026-11-20T10:00:00.000Z')
    // Arriving together (one group): two later messages, one earlier (a late redelivery), one renaming its sender.
    const answers = await Promise.all([
      write(numbers[0]!, 'wamid.touch-later-0', at(60)),
      write(numbers[1]!, 'wamid.touch-later-1', at(120)),
      write(numbers[2]!, 'wamid.touch-earlier-2', at(-60)),
      write(numbers[0]!, 'wamid.touch-rename-0', at(90), 'Neuer Name'),
    ])
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200])
    expect(await lastContact(numbers[0]!)).toBe('2026-11-20T10:01:30.000Z')
    expect(await lastContact(numbers[1]!)).toBe('2026-11-20T10:02:00.000Z')
    expect(await lastContact(numbers[2]!)).toBe('2026-11-20T10:00:00.000Z')
    expect(((await agent.inject({ method: 'GET', url: `/api/contacts?waId=${numbers[0]}` })).json().items as Json[])[0]).toMatchObject({ name: 'Neuer Name', firstContactAt: '2026-11-20T10:00:00.000Z' })
  })

  it('refuses a lookup by a malformed number and finds nothing for an unknown one', async () => {
    expect((await agent.inject({ method: 'GET', url: '/api/contacts?waId=49-151' })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'GET', url: '/api/contacts?waId=4915999999999' })).json().items).toEqual([])
  })
})
