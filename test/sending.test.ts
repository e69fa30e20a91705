import { beforeAll, describe, expect, it } from 'vitest'
import { MAGIC_RECIPIENTS } from '../src/simulator/index.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { count, customerWrites as writes, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: sending through the simulator`, () => {
  const ctx = useTestServer()
  const customerWrites = async (waId: string, body?: string) => (await writes(ctx.server, waId, body)).conversationId
  let server: TestServer
  let agent: Caller
  beforeAll(() => {
    ;({ server, agent } = ctx)
  })
  const messages = async (conversationId: string): Promise<Json[]> =>
    (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages` })).json().items
  const send = (conversationId: string, payload: object) => agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload })
  const statusOf = async (id: string) => (await server.database.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow())

  it('answers a customer: 202 queued, then sent with a wamid, then delivered and read by webhook', async () => {
    const conversationId = await customerWrites('4915111000001')
    const res = await send(conversationId, { type: 'text', text: { body: 'Guten Tag, wie kann ich helfen?' } })
    expect(res.statusCode).toBe(202)
    const queued = res.json()
    expect(queued).toMatchObject({ direction: 'outbound', type: 'text', status: 'queued', wamid: null, text: { body: 'Guten Tag, wie kann ich helfen?' } })
    const read = await eventually(async () => ((await statusOf(queued.id)).status === 'read' ? statusOf(queued.id) : undefined))
    expect(read.wamid).toMatch(/^wamid\./)
    const sent = server.simulatorState().sent.filter((s) => s.bizOpaque === queued.id)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toMatchObject({ to: '4915111000001', type: 'text', text: { body: 'Guten Tag, wie kann ich helfen?' } })
    const statuses = await server.database.db.selectFrom('message_statuses').select('status').where('wamid', '=', read.wamid!).execute()
    expect(statuses.map((s) => s.status).sort()).toEqual(['delivered', 'read', 'sent'])
  })

  it('WA-3: refuses free text with 409 window-closed 24 hours and 1 second after the last inbound message, before calling the API', async () => {
    const conversationId = await customerWrites('4915111000002')
    const callsBefore = server.simulatorState().sent.length
    const old = new Date(Date.now() - (24 * 3600 + 1) * 1000).toISOString()
    await server.database.db.updateTable('conversations').set({ last_inbound_at: old }).where('id', '=', conversationId).execute()
    const before = await count(server, 'messages')
    const res = await send(conversationId, { type: 'text', text: { body: 'Noch da?' } })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json().type).toMatch(/\/window-closed$/)
    expect(await count(server, 'messages')).toBe(before)
    expect(server.simulatorState().sent.length).toBe(callsBefore)
    const conversation = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}` })).json()
    expect(conversation.windowExpiresAt).toBeNull()
    // A template is still allowed.
    const template = await send(conversationId, { type: 'template', template: { name: 'order_shipped', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '4711' }] }] } })
    expect(template.statusCode).toBe(202)
    await eventually(async () => (await statusOf(template.json().id)).wamid)
  })

  it('starts a conversation with a new number by template only', async () => {
    const byText = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '4915111000003', type: 'text', text: { body: 'Hi' } } })
    expect(byText.statusCode).toBe(400)
    const res = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '4915111000003', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    expect(res.statusCode).toBe(202)
    const sent = await eventually(async () => ((await statusOf(res.json().id)).status === 'read' ? statusOf(res.json().id) : undefined))
    expect(sent.type).toBe('template')
    const invalid = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '123', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    expect(invalid.statusCode).toBe(400)
  })

  it('fails a message with a readable reason when Meta refuses it (unknown template, not on WhatsApp)', async () => {
    const missing = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: '4915111000004', type: 'template', template: { name: 'no_such_template', language: { code: 'de' } } } })
    const failed = await eventually(async () => ((await statusOf(missing.json().id)).status === 'failed' ? statusOf(missing.json().id) : undefined))
    expect(failed).toMatchObject({ error_code: 132001, error_title: 'template-missing' })
    expect(failed.error_detail).toMatch(/template/i)

    const nobody = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: MAGIC_RECIPIENTS.notOnWhatsApp, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    const undeliverable = await eventually(async () => ((await statusOf(nobody.json().id)).status === 'failed' ? statusOf(nobody.json().id) : undefined))
    expect(undeliverable.error_code).toBe(131026)
    const api = (await messages(undeliverable.conversation_id)).find((m) => m.id === nobody.json().id)
    expect(api!.error).toMatchObject({ code: 131026 })
    // Sending again cannot reach someone who is not on WhatsApp: not offered, and refused.
    expect(api!.canResend).toBe(false)
    expect((await agent.inject({ method: 'POST', url: `/api/messages/${nobody.json().id}/resend` })).statusCode).toBe(409)

    // A missing template can be fixed (approve it, then send again): offered, and queued again.
    const fixable = (await messages(failed.conversation_id)).find((m) => m.id === missing.json().id)
    expect(fixable!.canResend).toBe(true)
    const again = await agent.inject({ method: 'POST', url: `/api/messages/${missing.json().id}/resend` })
    expect(again.statusCode).toBe(202)
    expect(again.json().status).toBe('queued')
  })

  it('replies with context and reacts to a customer message', async () => {
    const conversationId = await customerWrites('4915111000005', 'Wo ist mein Paket?')
    const inbound = (await messages(conversationId)).find((m) => m.direction === 'inbound')!
    const reply = await send(conversationId, { type: 'text', context: { message_id: inbound.id }, text: { body: 'Es ist unterwegs.' } })
    expect(reply.statusCode).toBe(202)
    expect(reply.json().context.replyTo).toBe(inbound.wamid)
    const reaction = await send(conversationId, { type: 'reaction', reaction: { message_id: inbound.wamid, emoji: '👍' } })
    expect(reaction.statusCode).toBe(202)
    await eventually(async () => (await statusOf(reaction.json().id)).wamid && (await statusOf(reply.json().id)).wamid)
    const bodies = server.simulatorState().sent.filter((s) => s.recipient === '4915111000005').map((s) => s.body)
    expect(bodies.find((b) => b.type === 'text')).toMatchObject({ context: { message_id: inbound.wamid } })
    expect(bodies.find((b) => b.type === 'reaction')).toMatchObject({ reaction: { message_id: inbound.wamid, emoji: '👍' } })
  })

  it('validates the message body: unknown type, too long text, too many buttons', async () => {
    const conversationId = await customerWrites('4915111000006')
    const before = await count(server, 'messages')
    for (const payload of [
      { type: 'hologram', hologram: {} },
      { type: 'text', text: { body: 'x'.repeat(4097) } },
      { type: 'interactive', interactive: { type: 'button', body: { text: 'Wählen' }, action: { buttons: [1, 2, 3, 4].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } })) } } },
      { type: 'image', image: { caption: 'no id or link' } },
    ]) {
      const res = await send(conversationId, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 60)).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
    }
    expect(await count(server, 'messages')).toBe(before)
    const missingConversation = await send('00000000-0000-0000-0000-000000000000', { type: 'text', text: { body: 'x' } })
    expect(missingConversation.statusCode).toBe(404)
  })

  it('marks the last inbound message read at Meta', async () => {
    const conversationId = await customerWrites('4915111000007')
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })
    expect(res.statusCode, res.body).toBe(200)
    const inbound = (await messages(conversationId)).find((m) => m.direction === 'inbound')!
    expect(res.json()).toEqual({ wamid: inbound.wamid, typing: false })
    expect(server.simulatorState().readMarks.filter((r) => r.wamid === inbound.wamid).map((r) => r.typing)).toEqual([false])
  })

  it('answers 502 with WhatsApp\'s reason when the read receipt is refused, and still clears the unread count', async () => {
    // A message WhatsApp does not know (Meta refuses receipts for messages older than 30 days the same way).
    const wamid = 'wamid.HBgNNDkxNTExMTAwMDAzORUCABIYFjNFQjBDMEEwRjRFNjc4NDQ5QkE1QzAA'
    const envelope = messagesEnvelope(server.simulatorState().identity, { contacts: [{ profile: { name: 'Ute Alt' }, wa_id: '4915111000039' }], messages: [{ from: '4915111000039', id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'Noch da?' } }] })
    expect((await server.webhook(envelope)).statusCode).toBe(200)
    const { conversation_id: conversationId } = await server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirstOrThrow()
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read` })
    expect(res.statusCode).toBe(502)
    expect(res.headers['content-type']).toContain('application/problem+json')
    expect(res.json()).toMatchObject({ type: expect.stringMatching(/read-receipt-failed$/), status: 502, whatsapp: { code: 100, detail: 'message_id is not a known message' } })
    expect((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}` })).json().unreadCount).toBe(0)
  })

  it('shows the customer that we are typing (with the read mark, as the Cloud API does), only while the window is open', async () => {
    const conversationId = await customerWrites('4915111000008')
    const sim = server.simulatorState()
    const typing = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, payload: { typing: true } })
    expect(typing.json()).toMatchObject({ typing: true })
    expect(sim.isTyping('4915111000008')).toBe(true)
    // Our reply ends it, as on a real phone.
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: 'Bin gleich für Sie da.' } } })).statusCode).toBe(202)
    await eventually(() => !sim.isTyping('4915111000008'))

    // Window closed: a typing indicator would promise an answer that cannot be sent freely.
    await server.database.db.updateTable('conversations').set({ last_inbound_at: new Date(Date.now() - 25 * 3_600_000).toISOString() }).where('id', '=', conversationId).execute()
    const marks = sim.readMarks.length
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, payload: { typing: true } })).json()).toMatchObject({ typing: false })
    expect(sim.readMarks.slice(marks).map((r) => r.typing)).toEqual([false])

    for (const payload of [{ typing: 'ja' }, { typing: 1 }, []]) {
      const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, payload })
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
    }
    expect(sim.readMarks.length).toBe(marks + 1)
  })
})

describe(`${DIALECT}: interactive and location messages`, () => {
  const ctx = useTestServer()

  it('sends reply buttons, receives the customer\'s button reply, and sends a location', async () => {
    const { server, agent } = ctx
    const sim = server.simulatorState()
    const { conversationId: conversation_id } = await writes(server, '4915188000001', 'Termin?')
    const buttons = await agent.inject({
      method: 'POST',
      url: `/api/conversations/${conversation_id}/messages`,
      payload: { type: 'interactive', interactive: { type: 'button', body: { text: 'Wann passt es Ihnen?' }, action: { buttons: [{ type: 'reply', reply: { id: 'mo', title: 'Montag' } }, { type: 'reply', reply: { id: 'di', title: 'Dienstag' } }] } } },
    })
    expect(buttons.statusCode).toBe(202)
    const sent = await eventually(() => server.database.db.selectFrom('messages').selectAll().where('id', '=', buttons.json().id).where('wamid', 'is not', null).executeTakeFirst())
    const reply = sim.customerSends('4915188000001', 'Kunde', 'interactive', { type: 'button_reply', button_reply: { id: 'di', title: 'Dienstag' } }, { context: { from: sim.identity.displayPhoneNumber, id: sent.wamid } })
    await eventually(() => server.database.db.selectFrom('messages').select('id').where('wamid', '=', reply).executeTakeFirst())
    const items = (await agent.inject({ method: 'GET', url: `/api/conversations/${conversation_id}/messages` })).json().items
    const answer = items.find((m: { wamid: string }) => m.wamid === reply)
    expect(answer).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', buttonReply: { id: 'di', title: 'Dienstag' } }, context: { replyTo: sent.wamid } })

    const location = await agent.inject({ method: 'POST', url: `/api/conversations/${conversation_id}/messages`, payload: { type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Filiale Mitte' } } })
    expect(location.statusCode).toBe(202)
    await eventually(() => server.database.db.selectFrom('messages').select('wamid').where('id', '=', location.json().id).where('wamid', 'is not', null).executeTakeFirst())
    expect(sim.sent.find((s) => s.bizOpaque === location.json().id)!.body).toMatchObject({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Filiale Mitte' } })
  })
})
