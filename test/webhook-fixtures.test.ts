import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contactByNumber, count, DIALECT, fixtureNames, readFixture, startTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

/** What a fixture says, read independently of the server's parser. */
function expectedOf(name: string) {
  const body = JSON.parse(readFixture(name)) as Json
  const messages: Json[] = []
  const statuses: Json[] = []
  for (const e of body.entry) for (const c of e.changes) {
    if (c.field !== 'messages') continue
    messages.push(...(c.value.messages ?? []))
    statuses.push(...(c.value.statuses ?? []))
  }
  return { body, messages, statuses }
}

describe(`${DIALECT}: every fixture through POST /webhooks/whatsapp`, () => {
  let server: TestServer
  let agent: Caller
  const seenStatuses = new Set<string>()
  beforeAll(async () => {
    server = await startTestServer()
    agent = await server.login('agent')
  })
  afterAll(() => server.stop())

  const messageOf = async (wamid: string) => {
    const row = await server.database.db.selectFrom('messages').select(['conversation_id']).where('wamid', '=', wamid).executeTakeFirst()
    if (!row) return undefined
    const res = await agent.inject({ method: 'GET', url: `/api/conversations/${row.conversation_id}/messages?limit=200` })
    return (res.json().items as Json[]).find((m) => m.wamid === wamid)
  }

  for (const name of fixtureNames()) {
    it(`stores ${name} and exposes its parsed content`, async () => {
      const { messages, statuses } = expectedOf(name)
      // One journal entry for the body (a consent signal in it adds its consent events as entries of their own).
      const webhooks = () => server.database.db.selectFrom('journal').select('seq').where('kind', '=', 'whatsapp.webhook').execute().then((r) => r.length)
      const journalBefore = await webhooks()
      const res = await server.webhook(readFixture(name))
      expect(res.statusCode).toBe(200)
      expect(await webhooks()).toBe(journalBefore + 1)
      const stored = await server.database.db.selectFrom('journal').select(['content', 'kind']).where('kind', '=', 'whatsapp.webhook').orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow()
      // The raw bytes, unchanged once opened (payloads naming a customer are sealed for crypto-shredding).
      const opened = await server.sealer.open(server.database.db, Buffer.from(stored.content!))
      expect(opened!.payload.toString('utf8')).toBe(readFixture(name))

      for (const m of messages) {
        const api = await messageOf(m.id)
        expect(api, `message ${m.id}`).toBeDefined()
        expect(api!.direction).toBe('inbound')
        expect(api!.status).toBe('received')
        expect(api!.timestamp).toBe(new Date(Number(m.timestamp) * 1000).toISOString())
        expect(api!.type).toBe(m.type)
        if (m.type === 'text') expect(api!.text.body).toBe(m.text.body)
        if (['image', 'audio', 'video', 'document', 'sticker'].includes(m.type)) {
          expect(api![m.type].mimeType).toBe(m[m.type].mime_type)
          expect(api![m.type].mediaId).toBe(api!.id)
          if (m[m.type].caption) expect(api![m.type].caption).toBe(m[m.type].caption)
        }
        if (m.type === 'location') expect([api!.location.latitude, api!.location.longitude]).toEqual([m.location.latitude, m.location.longitude])
        if (m.type === 'reaction') expect(api!.reaction).toEqual({ messageId: m.reaction.message_id, ...(m.reaction.emoji !== undefined ? { emoji: m.reaction.emoji } : {}) })
        if (m.type === 'interactive') expect(api!.interactive.type).toBe(m.interactive.type)
        if (m.type === 'button') expect(api!.button).toEqual({ payload: m.button.payload, text: m.button.text })
        if (m.type === 'unsupported') expect(api!.unsupported.type).toBe(m.unsupported.type)
        if (m.type === 'order') expect(api!.order.productItems).toHaveLength(m.order.product_items.length)
        if (m.type === 'contacts') expect(api!.contacts[0].name.formattedName).toBe(m.contacts[0].name.formatted_name)
        if (m.context?.id) expect(api!.context.replyTo).toBe(m.context.id)
        expect(api!.context.forwarded).toBe(m.context?.forwarded === true)
        expect(api!.context.frequentlyForwarded).toBe(m.context?.frequently_forwarded === true)
        if (m.referral) expect(api!.referral.ctwaClid).toBe(m.referral.ctwa_clid)
      }
      for (const s of statuses) {
        const row = await server.database.db.selectFrom('message_statuses').selectAll().where('wamid', '=', s.id).where('status', '=', s.status).executeTakeFirst()
        expect(row, `status ${s.status} of ${s.id}`).toBeDefined()
        // (wamid, status) is deduplicated: the first delivery of a status is the one kept.
        const key = `${s.id}/${s.status}`
        if (!seenStatuses.has(key)) expect(row!.occurred_at).toBe(new Date(Number(s.timestamp) * 1000).toISOString())
        seenStatuses.add(key)
        if (s.errors) expect(JSON.parse(row!.errors!)[0].code).toBe(s.errors[0].code)
        if (s.pricing) expect(JSON.parse(row!.pricing!).category).toBe(s.pricing.category)
      }
    })
  }

  it('keeps a contact keyed by BSUID and follows a number change', async () => {
    const { db } = server.database
    const contact = await db.selectFrom('contacts').selectAll().where('user_key', '=', server.vault.details.lookupKey('user', 'DE.2457231976641385302')).executeTakeFirst()
    // Name, number and user id are sealed at rest (GDPR-32) and open to what WhatsApp sent.
    expect([contact?.profile_name, contact?.wa_id, contact?.user_id].join(' ')).not.toMatch(/Erika|4915187654321|2457231976641385302/)
    expect(await server.vault.details.openRow(db, contact!)).toMatchObject({ profile_name: 'Erika Mustermann', wa_id: '4915187654321', user_id: 'DE.2457231976641385302' })
    // Found by the new number, which the number change moved to this contact.
    expect((await contactByNumber(server, '4915187654321'))?.id).toBe(contact!.id)
  })

  it('answers a second delivery of the same bytes with 200 and stores nothing new', async () => {
    const before = { journal: await count(server, 'journal'), messages: await count(server, 'messages') }
    const res = await server.webhook(readFixture('text.json'))
    expect(res.statusCode).toBe(200)
    expect({ journal: await count(server, 'journal'), messages: await count(server, 'messages') }).toEqual(before)
  })

  it('stores a redelivery with different bytes in the journal but adds no second message', async () => {
    const before = { messages: await count(server, 'messages'), terms: await count(server, 'message_terms') }
    const res = await server.webhook(JSON.stringify(JSON.parse(readFixture('text.json'))))
    expect(res.statusCode).toBe(200)
    // Nor search terms: the skipped copy's words are not entered under an id no message has.
    expect({ messages: await count(server, 'messages'), terms: await count(server, 'message_terms') }).toEqual(before)
    const orphans = await server.database.db.selectFrom('message_terms').leftJoin('messages', 'messages.id', 'message_terms.message_id').select('message_terms.message_id').where('messages.id', 'is', null).execute()
    expect(orphans).toEqual([])
  })
})
