import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'csv-parse/sync'
import { quantileOfSorted } from '../src/modules/stats/durations.js'
import { constantOffsetPieces } from '../src/modules/stats/stats.js'
import { countsFromRows } from './stats-rows.js'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>

describe(`${DIALECT}: statistics (GET /api/stats/summary, /api/stats/series) match the stored messages`, () => {
  const ctx = useTestServer({ team: true })
  let server: TestServer
  let agent: Caller
  let admin: Caller
  const from = '2026-11-01T00:00:00.000Z'
  const to = '2026-12-01T00:00:00.000Z'
  const at = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 10, day, hh, mm)).toISOString()

  beforeAll(async () => {
    ;({ server, agent, admin } = ctx)
    // Real traffic: customers write, agents answer, WhatsApp reports statuses (one number fails,
    // one never reads), an automatic STOP confirmation goes out.
    const reply = (caller: Caller, conversationId: string, body: string) => caller.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body } } })
    const a = await customerWrites(server, '4915800000001', 'Frage 1')
    await customerWrites(server, '4915800000001', 'Noch da?')
    const b = await customerWrites(server, '4915800000002', 'Frage 2')
    const c = await customerWrites(server, '491550000001', 'Frage 3') // the simulator fails sends to this number
    const d = await customerWrites(server, '491550000004', 'Frage 4') // …and never reports this one as read
    const e = await customerWrites(server, '4915800000005', 'STOP')
    expect((await reply(agent, a.conversationId, 'Antwort 1')).statusCode).toBe(202)
    expect((await reply(admin, b.conversationId, 'Antwort 2')).statusCode).toBe(202)
    expect((await reply(agent, c.conversationId, 'Antwort 3')).statusCode).toBe(202)
    expect((await reply(agent, d.conversationId, 'Antwort 4')).statusCode).toBe(202)
    await reply(agent, a.conversationId, 'Nachtrag')
    await eventually(async () => {
      const open = await server.database.db.selectFrom('messages').select('id').where('direction', '=', 'outbound').where('status', 'in', ['queued', 'uncertain']).execute()
      const rows = await server.database.db.selectFrom('messages').select(['status']).where('direction', '=', 'outbound').execute()
      return open.length === 0 && rows.filter((r) => r.status === 'read').length >= 4 && rows.some((r) => r.status === 'failed')
    })
    // Place the conversation on known instants in November (Berlin: Mon 2 Nov 2026 is a workday),
    // so that response times and days are exact: each message moves to day/hour by its order.
    const rows = await server.database.db.selectFrom('messages').select(['id', 'conversation_id', 'direction', 'created_at']).orderBy('created_at').orderBy('id').execute()
    const plan: Record<string, [number, number, number][]> = {
      [a.conversationId]: [[2, 9, 0], [2, 9, 5], [2, 9, 20], [3, 8, 0]], // asked 10:00 Berlin, answered 20 min after the first question
      [b.conversationId]: [[2, 18, 0], [3, 8, 30]], // asked 19:00 Berlin (closed), answered 14.5 h later
      [c.conversationId]: [[4, 10, 0], [4, 10, 2]],
      [d.conversationId]: [[30, 22, 0], [30, 23, 0]],
      [e.conversationId]: [[5, 10, 0], [5, 10, 1]], // STOP and its automatic confirmation (not a response)
    }
    for (const [conversationId, resolvedAt] of [[a.conversationId, at(2, 10)], [b.conversationId, at(3, 9)]] as const) {
      expect((await agent.inject({ method: 'PATCH', url: `/api/conversations/${conversationId}`, payload: { status: 'resolved' } })).statusCode).toBe(200)
      await server.database.db.updateTable('conversation_resolutions').set({ resolved_at: resolvedAt }).where('conversation_id', '=', conversationId).execute()
    }
    for (const [conversationId, slots] of Object.entries(plan)) {
      const mine = rows.filter((r) => r.conversation_id === conversationId)
      for (const [i, m] of mine.entries()) {
        const [day, hh, mm] = slots[Math.min(i, slots.length - 1)]!
        await server.database.db.updateTable('messages').set({ timestamp: at(day, hh, mm + (i >= slots.length ? i : 0)) }).where('id', '=', m.id).execute()
      }
    }
  })

  /** The same figures, computed the plain way from every stored row. */
  async function independently(f: Json = {}, period = { from, to }) {
    const rows = (await server.database.db.selectFrom('messages').innerJoin('conversations', 'conversations.id', 'messages.conversation_id').select(['messages.conversation_id', 'messages.timestamp', 'messages.direction', 'messages.status', 'messages.sent_by', 'messages.type', 'conversations.channel_id']).execute())
      .filter((m) => !f.channelId || m.channel_id === f.channelId)
    return countsFromRows(rows, period.from, period.to)
  }

  it('counts received, sent, delivered, read and failed exactly as stored, and first response times (median, p90, within and outside hours)', async () => {
    const res = await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}` })
    expect(res.statusCode).toBe(200)
    const s = res.json()
    const expected = await independently()
    expect(s).toMatchObject(expected)
    expect(expected).toMatchObject({ received: 6, failed: 1 }) // the data really hold what the test is about
    expect(expected.read).toBeGreaterThanOrEqual(2)
    // a: 20 min (1,200 s, within hours); b: 14.5 h (52,200 s, outside); c: 120 s (within); d: 1 h (outside, 23:00 in Berlin).
    expect(s.firstResponse).toEqual({
      count: 4,
      medianSeconds: 1200,
      p90Seconds: 52_200,
      withinHours: { count: 2, medianSeconds: 120, p90Seconds: 1200 },
      outsideHours: { count: 2, medianSeconds: 3600, p90Seconds: 52_200 },
    })
    expect(s.firstResponseMedianSeconds).toBe(1200)
    // Resolution: a resolved at 10:00 UTC on the 2nd (an hour after its first question, in hours),
    // b at 09:00 UTC on the 3rd (15 h after its question at 18:00 UTC, outside hours).
    expect(s.resolution).toEqual({ count: 2, medianSeconds: 3600, p90Seconds: 54_000, withinHours: { count: 1, medianSeconds: 3600, p90Seconds: 3600 }, outsideHours: { count: 1, medianSeconds: 54_000, p90Seconds: 54_000 } })
    expect(s.conversationsResolved).toBe(2)
    // Consent events keep the time they happened (they are append-only): count them around now.
    const around = { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 3600_000).toISOString() }
    const consent = (await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${around.from}&to=${around.to}` })).json()
    expect(consent).toMatchObject({ optOuts: 1, optIns: 0 }) // one STOP, though it objects to every purpose
  })

  it('measures the answers against the reply target, in opening hours or around the clock', async () => {
    const summary = async () => (await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}` })).json()
    const target = (payload: Json) => admin.inject({ method: 'PUT', url: '/api/settings/reply-target', payload })
    expect((await summary()).replyTarget).toBeNull()
    // In opening hours a took 20 min, b 30 (from 9:00 on the next morning), c 2, d none (at night).
    expect((await target({ minutes: 15, openingHoursOnly: true })).statusCode).toBe(200)
    expect((await summary()).replyTarget).toEqual({ minutes: 15, openingHoursOnly: true, met: 2, missed: 2, share: 0.5 })
    expect((await target({ minutes: 30, openingHoursOnly: true })).statusCode).toBe(200)
    expect((await summary()).replyTarget).toMatchObject({ met: 4, missed: 0, share: 1 })
    // Around the clock b took 14.5 h and d an hour.
    expect((await target({ minutes: 30, openingHoursOnly: false })).statusCode).toBe(200)
    expect((await summary()).replyTarget).toMatchObject({ met: 2, missed: 2, share: 0.5 })
    // Per day the customer asked (Berlin): a and b on the 2nd, c on the 4th, d late on the 30th; in the CSV too.
    const days = (await agent.inject({ method: 'GET', url: `/api/stats/series?from=${from}&to=${to}&bucket=day` })).json().items as Json[]
    const measured = days.filter((d) => d.replyTargetMet + d.replyTargetMissed > 0).map((d) => [d.period, d.replyTargetMet, d.replyTargetMissed])
    expect(measured).toEqual([['2026-11-02', 1, 1], ['2026-11-04', 1, 0], ['2026-11-30', 0, 1]])
    const csv = (await agent.inject({ method: 'GET', url: `/api/stats/series?from=${from}&to=${to}&bucket=month&format=csv` })).body
    expect(parse(csv, { columns: true })[0]).toMatchObject({ period: '2026-11-01', replyTargetMet: '2', replyTargetMissed: '2' })
    // Narrowed as the other figures are: to one number (the only one has all four), to one day (c's answer).
    expect((await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}&channelId=nope` })).json().replyTarget).toMatchObject({ met: 0, missed: 0, share: null })
    expect((await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${at(4, 0)}&to=${at(5, 0)}` })).json().replyTarget).toMatchObject({ met: 1, missed: 0, share: 1 })
    expect((await target({ minutes: null, openingHoursOnly: true })).statusCode).toBe(200)
    // Without a target, neither the figure nor the columns.
    expect((await agent.inject({ method: 'GET', url: `/api/stats/series?from=${from}&to=${to}&bucket=month` })).json().items[0]).not.toHaveProperty('replyTargetMet')
    expect((await agent.inject({ method: 'GET', url: `/api/stats/series?from=${from}&to=${to}&bucket=month&format=csv` })).body).not.toContain('replyTarget')
  })

  it('narrows to an agent and to a channel', async () => {
    const byAdmin = (await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}&agentId=${admin.userId}` })).json()
    expect(byAdmin.firstResponse.count).toBe(0) // the admin answered b, but b is nobody's assignment
    const unknownChannel = (await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}&channelId=nope` })).json()
    expect(unknownChannel).toMatchObject({ received: 0, sent: 0, firstResponse: { count: 0, medianSeconds: null } })
  })

  it('gives counts per day, week and month in Berlin time, as JSON and CSV, summing to the total', async () => {
    // November in Berlin: from 1 Nov 00:00 (UTC+1) to 1 Dec 00:00.
    const november = { from: '2026-10-31T23:00:00.000Z', to: '2026-11-30T23:00:00.000Z' }
    const dayRes = await agent.inject({ method: 'GET', url: `/api/stats/series?from=${november.from}&to=${november.to}&bucket=day` })
    expect(dayRes.statusCode, dayRes.body).toBe(200)
    const days = dayRes.json().items as Json[]
    expect(days.map((d) => d.period)).toEqual(Array.from({ length: 30 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`))
    const total = await independently({}, november)
    for (const k of ['received', 'sent', 'delivered', 'read', 'failed'] as const) expect(days.reduce((n, d) => n + d[k], 0), k).toBe(total[k])
    expect(days.find((d) => d.period === '2026-11-02')!.received).toBe(3) // a's two questions, b's at 19:00
    // 30 Nov 22:00 UTC is 23:00 in Berlin, still the 30th; the answer at 23:00 UTC is 1 December there.
    expect(days.find((d) => d.period === '2026-11-30')).toMatchObject({ received: 1, sent: 0 })
    expect(days.find((d) => d.period === '2026-11-05')).toMatchObject({ received: 1, sent: 1, read: 1 })
    const weeks = (await agent.inject({ method: 'GET', url: `/api/stats/series?from=${november.from}&to=${november.to}&bucket=week` })).json().items as Json[]
    expect(weeks.map((w) => w.period)).toEqual(['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'])
    const csv = await agent.inject({ method: 'GET', url: `/api/stats/series?from=${november.from}&to=${november.to}&bucket=month&format=csv` })
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="postfach-statistik-2026-11-01-month.csv"/)
    const parsed = parse(csv.body, { columns: true }) as Json[]
    // Consent events keep the time they happened: count them from the raw rows for the same period.
    const consent = (await server.database.db.selectFrom('consent_events').select(['kind', 'contact_id', 'occurred_at']).execute()).filter((e) => e.occurred_at >= november.from && e.occurred_at < november.to)
    const optIns = consent.filter((e) => e.kind === 'confirmed').length
    const optOuts = new Set(consent.filter((e) => e.kind === 'withdrawn' || e.kind === 'objected').map((e) => `${e.contact_id}@${e.occurred_at}`)).size
    expect(parsed).toEqual([{ period: '2026-11-01', ...Object.fromEntries(Object.entries({ ...total, optIns, optOuts }).map(([k, v]) => [k, String(v)])) }])
  })

  it('refuses bad periods, and answers 401/403 to those who may not see it', async () => {
    for (const q of [`from=${to}&to=${from}`, 'from=yesterday&to=today', `from=2020-01-01T00:00:00Z&to=${to}`, `from=${from}`]) {
      const res = await agent.inject({ method: 'GET', url: `/api/stats/summary?${q}` })
      expect(res.statusCode, q).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
    }
    expect((await server.app.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}` })).statusCode).toBe(401)
    expect((await ctx.auditor.inject({ method: 'GET', url: `/api/stats/summary?from=${from}&to=${to}` })).statusCode).toBe(403)
  })
})

describe('days in Berlin across daylight-saving switches', () => {
  it('cuts a period where the offset changes', () => {
    const at = (iso: string) => Date.parse(iso)
    expect(constantOffsetPieces(at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'), 'Europe/Berlin').map((p) => [new Date(p.from).toISOString(), new Date(p.to).toISOString(), p.offset])).toEqual([
      ['2026-03-28T00:00:00.000Z', '2026-03-29T01:00:00.000Z', 60],
      ['2026-03-29T01:00:00.000Z', '2026-03-30T00:00:00.000Z', 120],
    ])
    expect(constantOffsetPieces(at('2026-10-24T22:00:00Z'), at('2026-10-26T00:00:00Z'), 'Europe/Berlin').map((p) => p.offset)).toEqual([120, 60])
    expect(constantOffsetPieces(at('2026-11-01T00:00:00Z'), at('2026-12-01T00:00:00Z'), 'Europe/Berlin')).toHaveLength(1)
  })
})

describe('quantiles', () => {
  /** Nearest rank, the plain way: sort everything. */
  const quantile = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * xs.length) - 1)]! : null)
  const sorted = (xs: number[]) => Float64Array.from(xs).sort()

  it('take the nearest rank', () => {
    expect(quantileOfSorted([sorted([5, 1, 4, 2, 3])], 0.5)).toBe(3)
    expect(quantileOfSorted([sorted([1, 2, 3, 4, 5]), sorted([6, 7, 8, 9, 10])], 0.9)).toBe(9)
    expect(quantileOfSorted([], 0.5)).toBeNull()
  })

  it('of many sorted days equal the nearest rank of all values together, duplicates and empty days included', () => {
    let seed = 11
    const random = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32)
    for (let round = 0; round < 200; round++) {
      // Durations are differences of millisecond instants: whole milliseconds, in seconds.
      const days = Array.from({ length: 1 + Math.floor(random() * 6) }, () =>
        Float64Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * (random() < 0.3 ? 5 : 90_000_000)) / 1000).sort(),
      )
      const all = days.flatMap((d) => [...d])
      for (const p of [0.5, 0.9, 0.01, 1]) expect(quantileOfSorted(days, p), `round ${round}, p ${p}`).toBe(quantile(all, p))
    }
    expect(quantileOfSorted([new Float64Array(0)], 0.5)).toBeNull()
  })
})
