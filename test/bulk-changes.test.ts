import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: changing many conversations at once (the list's selection)`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  const bulk = (who: Caller, payload: unknown) => who.inject({ method: 'POST', url: '/api/conversations/bulk', payload: payload as object })
  const state = async (ids: string[]) =>
    (await server.database.db.selectFrom('conversations').select(['id', 'status', 'assignee_id', 'pending_until']).where('id', 'in', ids).orderBy('id').execute()).map(({ id: _, ...rest }) => rest)
  const labelsOf = async (ids: string[]) => (await server.database.db.selectFrom('conversation_labels').select('conversation_id').where('conversation_id', 'in', ids).execute()).length
  const three = async (prefix: string) => Promise.all([1, 2, 3].map(async (i) => (await customerWrites(server, `49153${prefix}0000${i}`, 'Danke!')).conversationId))

  it('resolves, assigns and labels several conversations in one request, each as the chat header would', async () => {
    const ids = await three('1')
    const label = (await admin.inject({ method: 'POST', url: '/api/labels', payload: { name: 'Kampagne Dezember', color: '#1d7f4e' } })).json()
    const res = await bulk(agent, { ids: [...ids, ids[0]], status: 'resolved', assigneeId: agent.userId, labelId: label.id })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ updated: 3 })
    expect(await state(ids)).toEqual(ids.map(() => ({ status: 'resolved', assignee_id: agent.userId, pending_until: null })))
    expect(await labelsOf(ids)).toBe(3)
    // Resolution times count for the statistics as if resolved one by one.
    const resolutions = await server.database.db.selectFrom('conversation_resolutions').select(['conversation_id', 'resolved_by']).where('conversation_id', 'in', ids).execute()
    expect(resolutions.map((r) => r.resolved_by)).toEqual([agent.userId, agent.userId, agent.userId])
    const listed: Json[] = (await agent.inject({ method: 'GET', url: `/api/conversations?status=resolved&label=${label.id}` })).json().items
    expect(listed.map((c) => c.id).sort()).toEqual([...ids].sort())

    // Snoozed together: each gets its own reminder.
    const until = new Date(Date.now() + 86_400_000).toISOString()
    expect((await bulk(agent, { ids, pendingUntil: until })).json()).toEqual({ updated: 3 })
    expect(await state(ids)).toEqual(ids.map(() => ({ status: 'pending', assignee_id: agent.userId, pending_until: until })))
    expect((await server.database.db.selectFrom('jobs').select('id').where('kind', '=', 'conversation.reminder').execute()).length).toBe(3)
  })

  it('changes none when one of them is unknown, a colleague’s (agents see their own and unassigned ones), or the change is invalid', async () => {
    const ids = await three('2')
    expect((await admin.inject({ method: 'PATCH', url: `/api/conversations/${ids[2]}`, payload: { assigneeId: admin.userId } })).statusCode).toBe(200)
    const before = await state(ids)

    const hidden = await bulk(agent, { ids, status: 'resolved' })
    expect(hidden.statusCode).toBe(404)
    expect(hidden.headers['content-type']).toMatch(/application\/problem\+json/)
    expect(hidden.json().detail).toContain('1 of the 3 conversations')
    expect((await bulk(agent, { ids: [ids[0], 'no-such-conversation'], status: 'resolved' })).statusCode).toBe(404)

    const invalid: [unknown, number, string][] = [
      [{ ids: [ids[0]], assigneeId: auditor.userId }, 400, 'assigneeId'],
      [{ ids: [ids[0]], labelId: 'no-such-label' }, 400, 'labelId'],
      [{ ids: [ids[0]], status: 'resolved', pendingUntil: new Date(Date.now() + 3_600_000).toISOString() }, 400, 'pendingUntil'],
      [{ ids: [ids[0]], pendingUntil: '2000-01-01T00:00:00Z' }, 400, 'pendingUntil'],
      [{ ids: [ids[0]], status: 'archived' }, 400, 'status'],
      [{ ids: [ids[0]] }, 400, 'at least one change'],
      [{ ids: [], status: 'open' }, 400, 'ids'],
      [{ ids: Array.from({ length: 201 }, (_, i) => `c${i}`), status: 'open' }, 400, 'ids'],
      [{ ids: ids[0], status: 'open' }, 400, 'ids'],
      [[ids[0]], 400, ''],
    ]
    for (const [payload, code, mentions] of invalid) {
      const res = await bulk(admin, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(code)
      expect(res.body).toContain(mentions)
    }
    expect(await state(ids)).toEqual(before)

    // An admin sees every conversation: the same request goes through.
    expect((await bulk(admin, { ids, status: 'resolved' })).json()).toEqual({ updated: 3 })
  })

  it('is for staff only: an auditor is refused, a request without credentials too', async () => {
    const ids = await three('3')
    expect((await bulk(auditor, { ids, status: 'resolved' })).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'POST', url: '/api/conversations/bulk', payload: { ids, status: 'resolved' } })).statusCode).toBe(401)
    expect((await agent.inject({ method: 'POST', url: '/api/conversations/bulk', headers: { 'x-csrf-token': 'forged' }, payload: { ids, status: 'resolved' } })).statusCode).toBe(403)
    expect(await state(ids)).toEqual(ids.map(() => ({ status: 'open', assignee_id: null, pending_until: null })))
  })
})
