import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../src/db/database.js'
import { migrateTo } from '../src/db/migrate.js'
import { insertUser } from '../src/modules/auth/users.repo.js'
import { DEFAULT_AUTOMATION, scheduleOf } from '../src/modules/automation/automation-settings.js'
import { holidayOn } from '../src/modules/automation/holidays.js'
import { addOpenTime } from '../src/modules/automation/opening-hours.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { DIALECT, eventually, removeTestDatabase, TEST_DATABASE_URL, useTestServer, type Caller, type TestServer } from './helpers.js'

type Json = Record<string, any>

const DAY = 86_400_000
/**
 * The tests' days are written as Monday 30 November to Thursday 3 December 2026 and moved by whole
 * weeks to the first such week ahead of the real clock with no public holiday and Berlin on winter
 * time: the customers' messages must be inside the 24-hour window (which goes by the real clock)
 * when a colleague answers them, and the expected instants are written in UTC for winter time.
 */
const SHIFT = (() => {
  const monday = Date.parse('2026-11-30T12:00:00Z')
  const berlinOffset = (at: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeZoneName: 'shortOffset' }).format(at)
  for (let weeks = 1; ; weeks++) {
    const start = monday + weeks * 7 * DAY
    if (start < Date.now() + 7 * DAY) continue
    const days = [0, 1, 2, 3, 4].map((d) => start + d * DAY)
    if (days.some((d) => holidayOn(new Date(d).toISOString().slice(0, 10), 'DE') || !berlinOffset(d).endsWith('GMT+1'))) continue
    return weeks * 7 * DAY
  }
})()
const T = (iso: string) => new Date(Date.parse(iso) + SHIFT).toISOString()

/** Wednesday, 15:00 in Berlin (opening hours by default: Monday to Friday 9–17). */
let clock = Date.parse(T('2026-12-02T14:00:00Z'))

describe(`${DIALECT}: reply targets`, () => {
  const ctx = useTestServer({ team: true, clock: () => clock })
  let server: TestServer, agent: Caller, admin: Caller, auditor: Caller
  beforeAll(() => {
    ;({ server, agent, admin, auditor } = ctx)
  })
  let n = 0
  /** The customer's webhook, sent by Meta at an exact time; resolves with the conversation id and the message's wamid. */
  async function customerWrote(waId: string, at: string, content: Json = { type: 'text', text: { body: 'Hallo, ich habe eine Frage.' } }) {
    const { identity } = server.simulatorState()
    const wamid = `wamid.reply-target-${++n}`
    const body = messagesEnvelope(identity, {
      contacts: [{ wa_id: waId, profile: { name: `Kunde ${waId.slice(-3)}` } }],
      messages: [{ from: waId, id: wamid, timestamp: String(Date.parse(at) / 1000), ...content }],
    })
    expect((await server.webhook(body)).statusCode).toBe(200)
    const row = await eventually(() => server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirst())
    return { conversationId: row.conversation_id, wamid, body }
  }
  const conversation = async (id: string, who: Caller = admin): Promise<Json> => (await who.inject({ method: 'GET', url: `/api/conversations/${id}` })).json()
  const putTarget = (payload: unknown, who: Caller = admin) => who.inject({ method: 'PUT', url: '/api/settings/reply-target', payload: payload as object })
  const overdueList = async (who: Caller): Promise<string[]> =>
    (await who.inject({ method: 'GET', url: '/api/conversations?order=waiting&overdue=true' })).json().items.map((c: Json) => c.id)
  const counts = async (who: Caller): Promise<Json> => (await who.inject({ method: 'GET', url: '/api/conversations/counts' })).json()
  const told = async (who: Caller, conversationId: string): Promise<number> =>
    (await who.inject({ method: 'GET', url: '/api/notifications' })).json().items.filter((x: Json) => x.kind === 'reply_overdue' && x.conversationId === conversationId).length
  const answer = async (conversationId: string, payload: Json = { type: 'text', text: { body: 'Gern, wir kümmern uns.' } }) => {
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload })
    expect(res.statusCode).toBe(202)
  }

  it('knows since when a customer waits for a colleague: from the first unanswered message; reactions ask nothing, and only a colleague answers', async () => {
    expect((await admin.inject({ method: 'GET', url: '/api/settings/reply-target' })).json()).toEqual({ minutes: null, openingHoursOnly: true })
    const { conversationId: asked } = await customerWrote('4915700000001', T('2026-12-02T13:30:00Z'))
    await customerWrote('4915700000001', T('2026-12-02T13:40:00Z'), { type: 'text', text: { body: 'Noch jemand da?' } })
    expect(await conversation(asked)).toMatchObject({ awaitingReplySince: T('2026-12-02T13:30:00.000Z'), replyDueAt: null })

    // Our reaction is no answer; an integration's send (API token) is no colleague's either, as in the statistics.
    const { conversationId: reacted, wamid } = await customerWrote('4915700000002', T('2026-12-02T13:00:00Z'))
    await answer(reacted, { type: 'reaction', reaction: { message_id: wamid, emoji: '👍' } })
    const integration = await server.token('agent')
    expect((await integration.inject({ method: 'POST', url: `/api/conversations/${reacted}/messages`, payload: { type: 'text', text: { body: 'Ihre Anfrage ist eingegangen.' } } })).statusCode).toBe(202)
    expect((await conversation(reacted)).awaitingReplySince).toBe(T('2026-12-02T13:00:00.000Z'))
    await answer(reacted)
    expect((await conversation(reacted)).awaitingReplySince).toBeNull()
    // The customer's reaction to the answer asks for nothing.
    await customerWrote('4915700000002', T('2026-12-02T13:50:00Z'), { type: 'reaction', reaction: { message_id: wamid, emoji: '🙏' } })
    expect((await conversation(reacted)).awaitingReplySince).toBeNull()

    // The list's "waiting longest" view is those customers, longest first.
    const waiting = (await agent.inject({ method: 'GET', url: '/api/conversations?order=waiting' })).json().items.map((c: Json) => c.id)
    expect(waiting).toEqual([asked])
    // Without a target nobody is overdue.
    expect(await counts(agent)).toMatchObject({ overdue: 0 })
    expect(await overdueList(agent)).toEqual([])
  })

  it('refuses malformed, unknown, unauthenticated and forbidden changes, and keeps the target as it was', async () => {
    expect((await putTarget({ minutes: 60 }, agent)).statusCode).toBe(403)
    expect((await putTarget({ minutes: 60 }, auditor)).statusCode).toBe(403)
    expect((await server.app.inject({ method: 'PUT', url: '/api/settings/reply-target', payload: { minutes: 60 } })).statusCode).toBe(401)
    expect((await server.app.inject({ method: 'GET', url: '/api/settings/reply-target' })).statusCode).toBe(401)
    for (const bad of [{ minutes: 2 }, { minutes: 60.5 }, { minutes: '60' }, { minutes: 60, openingHoursOnly: 'ja' }, { minutes: 60, sla: true }, { minutes: 8 * 24 * 60 }]) {
      const res = await putTarget(bad)
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    }
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/reply-target', headers: { 'content-type': 'application/json' }, payload: '{"minutes": 60' })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/reply-target', payload: { minutes: 60, pad: 'x'.repeat(2_000_000) } })).statusCode).toBe(413)
    expect((await agent.inject({ method: 'GET', url: '/api/settings/reply-target' })).json()).toEqual({ minutes: null, openingHoursOnly: true })
    expect((await agent.inject({ method: 'GET', url: '/api/conversations?overdue=maybe' })).statusCode).toBe(400)
  })

  it('counts the target in opening hours: due times, the overdue view and count, and the assignee or the admins told once per wait', async () => {
    // Tuesday 16:30 in Berlin: half an hour that day, the rest from Wednesday 9:00 — overdue at 9:30.
    const { conversationId: yesterday } = await customerWrote('4915700000003', T('2026-12-01T15:30:00Z'))
    expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${yesterday}`, payload: { assigneeId: agent.userId } })).statusCode).toBe(200)
    // Wednesday 8:00, before opening: due at 10:00; nobody has it.
    const { conversationId: early } = await customerWrote('4915700000004', T('2026-12-02T07:00:00Z'))
    // Answered: nobody waits.
    const { conversationId: answered } = await customerWrote('4915700000005', T('2026-12-02T08:00:00Z'))
    await answer(answered)
    const asked = (await agent.inject({ method: 'GET', url: '/api/conversations?order=waiting' })).json().items.find((c: Json) => c.contact.waId === '4915700000001').id

    const saved = await putTarget({ minutes: 60, openingHoursOnly: true })
    expect(saved.statusCode).toBe(200)
    expect(saved.json()).toEqual({ minutes: 60, openingHoursOnly: true })
    expect((await admin.inject({ method: 'GET', url: '/api/audit?action=settings.reply_target_changed' })).json().items[0]).toMatchObject({ detail: { minutes: 60 } })

    expect((await conversation(yesterday)).replyDueAt).toBe(T('2026-12-02T08:30:00.000Z'))
    expect((await conversation(early)).replyDueAt).toBe(T('2026-12-02T09:00:00.000Z'))
    expect((await conversation(asked)).replyDueAt).toBe(T('2026-12-02T14:30:00.000Z')) // 14:30 Berlin + 1 h, not yet
    expect((await conversation(answered)).replyDueAt).toBeNull()
    expect(await overdueList(agent)).toEqual([yesterday, early])
    expect((await counts(agent)).overdue).toBe(2)

    // Saving the target looked at once: the assignee hears of theirs, the admins of the one nobody has.
    await eventually(async () => (await told(agent, yesterday)) === 1 && (await told(admin, early)) === 1)
    expect(await told(agent, early)).toBe(0)
    expect(await told(admin, yesterday)).toBe(0)

    // Half an hour later the third is late too: told once; the others are not told again.
    clock = Date.parse(T('2026-12-02T14:31:00Z'))
    expect(await overdueList(agent)).toEqual([yesterday, early, asked])
    expect((await putTarget({ minutes: 60, openingHoursOnly: true })).statusCode).toBe(200)
    await eventually(async () => (await told(admin, asked)) === 1)
    expect((await putTarget({ minutes: 60, openingHoursOnly: true })).statusCode).toBe(200)
    await server.overdue.run()
    expect([await told(agent, yesterday), await told(admin, early), await told(admin, asked)]).toEqual([1, 1, 1])

    // Answered, the wait ends; the customer's next message starts a new one, told again once late.
    await answer(yesterday)
    expect(await conversation(yesterday)).toMatchObject({ awaitingReplySince: null, replyDueAt: null })
    expect(await overdueList(agent)).toEqual([early, asked])
    // (After the answer, which carries the real time: a customer message from before it would be a late redelivery.)
    const next = Math.ceil(Date.now() / 1000) * 1000 + 1000
    await customerWrote('4915700000003', new Date(next).toISOString())
    const due = addOpenTime(next, 60 * 60_000, scheduleOf(DEFAULT_AUTOMATION))!
    expect((await conversation(yesterday)).replyDueAt).toBe(new Date(due).toISOString())
    clock = due - 60_000
    await server.overdue.run()
    expect(await told(agent, yesterday)).toBe(1)
    // The assignee set themselves away meanwhile: the admins hear of it too.
    expect((await agent.inject({ method: 'PUT', url: '/api/auth/availability', payload: { availability: 'away' } })).statusCode).toBe(200)
    clock = due
    await server.overdue.run()
    expect(await told(agent, yesterday)).toBe(2)
    expect(await told(admin, yesterday)).toBe(1)
    expect((await agent.inject({ method: 'PUT', url: '/api/auth/availability', payload: { availability: 'available' } })).statusCode).toBe(200)

    // Resolved or set to wait for something else: nobody is late; the customer writing again starts a new wait.
    expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${early}`, payload: { status: 'resolved' } })).statusCode).toBe(200)
    expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${asked}`, payload: { status: 'pending' } })).statusCode).toBe(200)
    expect(await overdueList(agent)).toEqual([yesterday])
    await customerWrote('4915700000004', T('2026-12-02T15:30:00Z'))
    expect(await conversation(early)).toMatchObject({ status: 'open', awaitingReplySince: T('2026-12-02T15:30:00.000Z'), replyDueAt: T('2026-12-03T08:30:00.000Z') })
  })

  it('counts around the clock when asked, and in a number’s own opening hours where it has them', async () => {
    clock = Date.parse(T('2026-12-03T16:30:00Z')) // Thursday 17:30 in Berlin: closed
    const { conversationId: dawn } = await customerWrote('4915700000006', T('2026-12-02T05:00:00Z')) // 6:00 in Berlin
    expect((await conversation(dawn)).replyDueAt).toBe(T('2026-12-02T09:00:00.000Z'))
    expect((await putTarget({ minutes: 60, openingHoursOnly: false })).statusCode).toBe(200)
    expect((await conversation(dawn)).replyDueAt).toBe(T('2026-12-02T06:00:00.000Z'))

    // This number answers every day from 6 to 22.
    const { phoneNumberId } = server.simulatorState().identity
    const long = [{ from: '06:00', to: '22:00' }]
    const own = { ...DEFAULT_AUTOMATION, openingHours: { mon: long, tue: long, wed: long, thu: long, fri: long, sat: long, sun: long } }
    expect((await admin.inject({ method: 'PUT', url: `/api/automation?channelId=${phoneNumberId}`, payload: own })).statusCode).toBe(200)
    expect((await putTarget({ minutes: 120, openingHoursOnly: true })).statusCode).toBe(200)
    expect((await conversation(dawn)).replyDueAt).toBe(T('2026-12-02T07:00:00.000Z'))
    // Tuesday 16:30 + 2 h in these hours: 18:30, long past; in the workspace's, it would be Wednesday 10:30.
    const { conversationId: evening } = await customerWrote('4915700000007', T('2026-12-01T15:30:00Z'))
    expect((await conversation(evening)).replyDueAt).toBe(T('2026-12-01T17:30:00.000Z'))
    expect(await overdueList(admin)).toEqual(expect.arrayContaining([evening, dawn]))
    // Without them, the workspace's hours count again.
    expect((await admin.inject({ method: 'DELETE', url: `/api/automation?channelId=${phoneNumberId}` })).statusCode).toBe(204)
    expect((await conversation(evening)).replyDueAt).toBe(T('2026-12-02T09:30:00.000Z'))
  })

  it('a keyword answered by its automatic confirmation waits for nobody; a question before it still does', async () => {
    const { conversationId: stopOnly } = await customerWrote('4915700000009', T('2026-12-02T15:10:00Z'), { type: 'text', text: { body: 'STOP' } })
    expect((await conversation(stopOnly)).awaitingReplySince).toBeNull()
    const { conversationId: asked } = await customerWrote('4915700000010', T('2026-12-02T15:11:00Z'))
    await customerWrote('4915700000010', T('2026-12-02T15:12:00Z'), { type: 'text', text: { body: 'Stopp' } })
    expect((await conversation(asked)).awaitingReplySince).toBe(T('2026-12-02T15:11:00.000Z'))
  })

  it('a redelivered customer message that was answered starts no new wait', async () => {
    const { conversationId, body } = await customerWrote('4915700000008', new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString())
    await answer(conversationId)
    expect((await conversation(conversationId)).awaitingReplySince).toBeNull()
    expect((await server.webhook(body)).statusCode).toBe(200)
    expect((await conversation(conversationId)).awaitingReplySince).toBeNull()
  })
})

describe(`${DIALECT}: reply targets after the upgrade`, () => {
  it('fill in since when each open conversation’s customer waits, from the messages stored before', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-reply-upgrade-'))
    const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
    const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
    try {
      await migrateTo(database, '2026-12-02T1300_auto_assignment')
      const { db } = database
      const stamp = '2026-10-05T08:00:00.000Z'
      const at = (hhmm: string) => `2026-10-05T${hhmm}.000Z`
      await db.insertInto('channels').values({ id: 'ch', waba_id: 'waba', display_phone_number: null, paused_reason: null, paused_at: null, created_at: stamp, updated_at: stamp }).execute()
      const agentId = (await insertUser(db, { email: 'alt@example.com', name: 'Alt', role: 'agent', passwordHash: 'x' })).id
      const conversations = { answeredThenAsked: 'open', automaticOnly: 'open', resolved: 'resolved', reactionOnly: 'open' } as const
      let k = 0
      for (const [id, status] of Object.entries(conversations)) {
        await db.insertInto('contacts').values({ id: `c-${id}`, wa_id: `49151110000${++k}`, user_id: null, profile_name: 'Alt', first_contact_at: stamp, last_contact_at: stamp, created_at: stamp, updated_at: stamp } as never).execute()
        await db.insertInto('conversations').values({ id, contact_id: `c-${id}`, channel_id: 'ch', status, assignee_id: null, last_message_at: stamp, last_inbound_at: stamp, created_at: stamp, updated_at: stamp }).execute()
      }
      const message = (conversationId: string, direction: 'inbound' | 'outbound', timestamp: string, o: { type?: string; by?: string | null } = {}) => ({
        id: `m${++k}`, conversation_id: conversationId, wamid: `wamid.m${k}`, direction, type: o.type ?? 'text', status: direction === 'inbound' ? 'received' : 'read', timestamp, content: '{}', key_id: null,
        context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: o.by ?? null, journal_seq: null, created_at: timestamp, updated_at: timestamp,
      })
      await db
        .insertInto('messages')
        .values([
          message('answeredThenAsked', 'inbound', at('09:00:00')),
          message('answeredThenAsked', 'outbound', '2026-10-05T09:12:20.345Z', { by: agentId }),
          message('answeredThenAsked', 'inbound', at('09:12:20')), // the same second as the answer: after it
          message('answeredThenAsked', 'inbound', at('09:25:00')),
          message('answeredThenAsked', 'outbound', at('09:30:00'), { by: agentId, type: 'reaction' }),
          message('automaticOnly', 'inbound', at('09:00:00')),
          message('automaticOnly', 'outbound', at('09:00:01')),
          message('resolved', 'inbound', at('09:00:00')),
          message('reactionOnly', 'inbound', at('09:00:00'), { type: 'reaction' }),
        ] as never)
        .execute()
      await migrateTo(database, '2026-12-02T1500_reply_targets')
      const rows = await db.selectFrom('conversations').select(['id', 'awaiting_reply_since', 'last_reply_at']).orderBy('id').execute()
      expect(rows).toEqual([
        { id: 'answeredThenAsked', awaiting_reply_since: at('09:12:20'), last_reply_at: at('09:12:20') },
        { id: 'automaticOnly', awaiting_reply_since: at('09:00:00'), last_reply_at: null },
        { id: 'reactionOnly', awaiting_reply_since: null, last_reply_at: null },
        { id: 'resolved', awaiting_reply_since: null, last_reply_at: null },
      ])
    } finally {
      await database.destroy()
      await removeTestDatabase(dataDir, schema)
    }
  }, 60_000)
})
