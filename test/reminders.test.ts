import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: waiting conversations and their reminders (snooze)`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const conversation = async (id: string): Promise<Json> => (await agent.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()
  const patch = (who: Caller, id: string, payload: object) => who.inject({ method: 'PATCH', url: `/api/conversations/${id}`, payload })
  const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()
  const reminderJobs = async (conversationId: string) =>
    (await server.database.db.selectFrom('jobs').select(['state', 'payload']).where('kind', '=', 'conversation.reminder').execute()).filter((j) => JSON.parse(j.payload).conversationId === conversationId)
  const notifications = async (who: Caller): Promise<Json[]> => (await who.inject({ method: 'GET', url: '/api/notifications' })).json().items

  it('a snoozed conversation waits, opens again at its reminder time and notifies its assignee', async () => {
    const { conversationId } = await customerWrites(server, '4915300000001', 'Ich melde mich nach dem Urlaub', 'Rosa Reminder')
    expect((await patch(agent, conversationId, { assigneeId: agent.userId })).statusCode).toBe(200)
    // Given with an offset, stored and answered in UTC.
    const due = new Date(Date.now() + 1500)
    const local = `${new Date(due.getTime() + 3_600_000).toISOString().slice(0, 23)}+01:00`
    const res = await patch(agent, conversationId, { pendingUntil: local })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ status: 'pending', pendingUntil: due.toISOString() })
    expect((await agent.inject({ method: 'GET', url: '/api/conversations?status=pending' })).json().items.map((c: Json) => c.id)).toContain(conversationId)
    expect(await reminderJobs(conversationId)).toHaveLength(1)

    const reopened = await eventually(async () => {
      const c = await conversation(conversationId)
      return c.status === 'open' && c
    })
    expect(reopened.pendingUntil).toBeNull()
    const reminder = await eventually(async () => (await notifications(agent)).find((n) => n.kind === 'reminder' && n.conversationId === conversationId))
    expect(reminder).toMatchObject({ contactName: 'Rosa Reminder', noteId: null, readAt: null, excerpt: null })
    expect(reminder.actorName).toMatch(/^agent/)
    // Nobody else was reminded.
    expect((await notifications(admin)).filter((n) => n.kind === 'reminder')).toEqual([])
  })

  it('the customer writing first opens a waiting conversation at once, and the reminder it had is void', async () => {
    const { conversationId } = await customerWrites(server, '4915300000002', 'Hallo')
    expect((await patch(agent, conversationId, { pendingUntil: inSeconds(1.5) })).json()).toMatchObject({ status: 'pending' })
    await customerWrites(server, '4915300000002', 'Doch noch eine Frage')
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', pendingUntil: null })

    // Waiting again, now without a reminder: the old reminder's time passes and changes nothing.
    expect((await patch(agent, conversationId, { status: 'pending' })).json()).toMatchObject({ status: 'pending', pendingUntil: null })
    await eventually(async () => (await reminderJobs(conversationId)).every((j) => j.state === 'done'))
    expect(await conversation(conversationId)).toMatchObject({ status: 'pending', pendingUntil: null })
    expect((await notifications(agent)).filter((n) => n.conversationId === conversationId)).toEqual([])

    // A plain waiting conversation (no reminder) opens when the customer writes, too.
    await customerWrites(server, '4915300000002', 'Sind Sie noch da?')
    expect((await conversation(conversationId)).status).toBe('open')
  })

  it('another status ends the wait and its reminder; a reminder can be removed or moved', async () => {
    const { conversationId } = await customerWrites(server, '4915300000003', 'Hallo')
    const tomorrow = inSeconds(86_400)
    expect((await patch(agent, conversationId, { status: 'pending', pendingUntil: tomorrow })).json()).toMatchObject({ status: 'pending', pendingUntil: tomorrow })
    expect((await patch(agent, conversationId, { status: 'resolved' })).json()).toMatchObject({ status: 'resolved', pendingUntil: null })

    expect((await patch(agent, conversationId, { pendingUntil: tomorrow })).json()).toMatchObject({ status: 'pending', pendingUntil: tomorrow })
    expect((await patch(agent, conversationId, { assigneeId: null })).json()).toMatchObject({ status: 'pending', pendingUntil: tomorrow })
    expect((await patch(agent, conversationId, { pendingUntil: null })).json()).toMatchObject({ status: 'pending', pendingUntil: null })

    // Moved: only the latest time reopens it; the first reminder's job finds it changed.
    expect((await patch(agent, conversationId, { pendingUntil: inSeconds(0.5) })).statusCode).toBe(200)
    const later = inSeconds(86_400 * 2)
    expect((await patch(agent, conversationId, { pendingUntil: later })).statusCode).toBe(200)
    await eventually(async () => (await reminderJobs(conversationId)).filter((j) => j.state === 'done').length >= 1)
    expect(await conversation(conversationId)).toMatchObject({ status: 'pending', pendingUntil: later })
  })

  it('refuses a reminder in the past, over a year ahead, malformed, or with another status — and changes nothing', async () => {
    const { conversationId } = await customerWrites(server, '4915300000004', 'Hallo')
    const before = await conversation(conversationId)
    const jobsBefore = (await reminderJobs(conversationId)).length
    const cases: [object, string][] = [
      [{ pendingUntil: inSeconds(-60) }, 'reminder-in-past'],
      [{ pendingUntil: inSeconds(367 * 86_400) }, 'reminder-too-far'],
      [{ pendingUntil: 'morgen früh' }, 'validation'],
      [{ pendingUntil: '2026-13-40T25:00:00Z' }, 'validation'],
      [{ pendingUntil: 1_800_000_000 }, 'validation'],
      [{ status: 'resolved', pendingUntil: inSeconds(3600) }, 'reminder-needs-pending'],
      [{ status: 'open', pendingUntil: inSeconds(3600) }, 'reminder-needs-pending'],
    ]
    for (const [payload, type] of cases) {
      const res = await patch(agent, conversationId, payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(res.json().type).toContain(type)
      expect(JSON.stringify(res.json())).toContain('pendingUntil')
    }
    expect(await conversation(conversationId)).toEqual(before)
    expect(await reminderJobs(conversationId)).toHaveLength(jobsBefore)
  })

  it('only staff set reminders: an auditor is refused, and so is a request without credentials', async () => {
    const { conversationId } = await customerWrites(server, '4915300000005', 'Hallo')
    expect((await patch(auditor, conversationId, { pendingUntil: inSeconds(3600) })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}`, payload: { pendingUntil: inSeconds(3600) } })).statusCode).toBe(401)
    expect((await patch(agent, 'no-such-conversation', { pendingUntil: inSeconds(3600) })).statusCode).toBe(404)
    expect(await conversation(conversationId)).toMatchObject({ status: 'open', pendingUntil: null })
    expect(await reminderJobs(conversationId)).toHaveLength(0)
  })

  it('a reminder set through an API token on an unassigned conversation reopens it and notifies nobody', async () => {
    const integration = await server.token('agent')
    const { conversationId } = await customerWrites(server, '4915300000006', 'Hallo')
    expect((await patch(integration, conversationId, { pendingUntil: inSeconds(0.5) })).statusCode).toBe(200)
    await eventually(async () => (await conversation(conversationId)).status === 'open')
    const all = await server.database.db.selectFrom('notifications').select('id').where('conversation_id', '=', conversationId).execute()
    expect(all).toEqual([])
  })
})
