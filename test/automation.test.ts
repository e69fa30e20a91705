import { beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_AUTOMATION } from '../src/modules/automation/automation-settings.js'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
// The server's clock for automatic answers; each test sets the instant it needs.
let now = Date.parse('2026-11-28T12:00:00Z') // Saturday, 13:00 in Berlin: closed
const SATURDAY = Date.parse('2026-11-28T12:00:00Z')
const MONDAY_TEN = Date.parse('2026-11-30T09:00:00Z') // 10:00 in Berlin: open

describe(`${DIALECT}: opening hours, greeting and away message (GET/PUT /api/automation)`, () => {
  const ctx = useTestServer({ team: true, clock: () => now })
  let server: TestServer
  let admin: Caller
  let agent: Caller
  beforeAll(() => {
    ;({ server, admin, agent } = ctx)
  })
  const textsTo = (waId: string) => server.simulatorState().sent.filter((s) => s.recipient === waId).map((s) => String((s.body.text as { body?: string } | undefined)?.body))
  const outbound = (conversationId: string) =>
    server.database.db.selectFrom('messages').select(['id', 'content', 'key_id', 'sent_by']).where('conversation_id', '=', conversationId).where('direction', '=', 'outbound').orderBy('created_at').execute().then((rows) => server.vault.open(server.database.db, rows))
  const enable = (o: Json = {}) =>
    admin.inject({ method: 'PUT', url: '/api/automation', payload: { ...DEFAULT_AUTOMATION, greeting: { ...DEFAULT_AUTOMATION.greeting, enabled: true }, away: { ...DEFAULT_AUTOMATION.away, enabled: true }, ...o } })

  it('refuses overlapping, inverted and unknown settings with a clear message and keeps what was stored', async () => {
    const week = DEFAULT_AUTOMATION.openingHours
    const cases: [Json, RegExp][] = [
      [{ openingHours: { ...week, mon: [{ from: '09:00', to: '13:00' }, { from: '12:00', to: '17:00' }] } }, /12:00–17:00 overlaps 09:00–13:00/],
      [{ openingHours: { ...week, tue: [{ from: '17:00', to: '09:00' }] } }, /end must come after the start/],
      [{ openingHours: { ...week, wed: [{ from: '9:00', to: '17:00' }] } }, /HH:MM/],
      [{ timezone: 'Europe/Nowhere' }, /IANA time zone/],
      [{ holidays: { region: 'DE-XX', custom: [] } }, /region/],
      [{ holidays: { region: 'DE', custom: [{ date: '2026-12-31', to: '2026-12-01', name: 'x' }] } }, /ends on or after/],
    ]
    for (const [change, message] of cases) {
      const res = await admin.inject({ method: 'PUT', url: '/api/automation', payload: { ...DEFAULT_AUTOMATION, ...change } })
      expect(res.statusCode, JSON.stringify(change)).toBe(400)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
      expect(JSON.stringify(res.json())).toMatch(message)
    }
    expect((await agent.inject({ method: 'GET', url: '/api/automation' })).json()).toEqual({ ...DEFAULT_AUTOMATION, own: true })
  })

  it('lists the public holidays of a year in a state', async () => {
    const res = await agent.inject({ method: 'GET', url: '/api/automation/holidays?year=2026&region=DE-BY' })
    expect(res.statusCode).toBe(200)
    const items = res.json().items as { date: string; name: string }[]
    expect(items).toContainEqual({ date: '2026-06-04', name: 'Fronleichnam' })
    expect(items).toHaveLength(12) // 9 federal + Epiphany, Corpus Christi, All Saints (Assumption only in Catholic municipalities)
    expect((await agent.inject({ method: 'GET', url: '/api/automation/holidays?year=2026&region=DE-XX' })).statusCode).toBe(400)
    expect((await agent.inject({ method: 'GET', url: '/api/automation/holidays?year=abc&region=DE' })).statusCode).toBe(400)
    expect((await server.app.inject({ method: 'GET', url: '/api/automation/holidays?year=2026&region=DE' })).statusCode).toBe(401)
  })

  it('answers malformed, oversized, unauthenticated and forbidden requests without changing anything', async () => {
    expect((await admin.inject({ method: 'PUT', url: '/api/automation', headers: { 'content-type': 'application/json' }, payload: '{"timezone":' })).statusCode).toBe(400)
    expect((await admin.inject({ method: 'PUT', url: '/api/automation', payload: { ...DEFAULT_AUTOMATION, greeting: { enabled: true, text: 'x'.repeat(2_000_000) } } })).statusCode).toBe(413)
    expect((await server.app.inject({ method: 'GET', url: '/api/automation' })).statusCode).toBe(401)
    expect((await agent.inject({ method: 'PUT', url: '/api/automation', payload: DEFAULT_AUTOMATION })).statusCode).toBe(403)
    expect((await ctx.auditor.inject({ method: 'GET', url: '/api/automation' })).statusCode).toBe(403)
    expect((await agent.inject({ method: 'GET', url: '/api/automation' })).json()).toEqual({ ...DEFAULT_AUTOMATION, own: true })
  })

  it('outside opening hours sends the away message with the next opening, once per period, preceded by the privacy notice', async () => {
    now = SATURDAY
    await server.database.db.insertInto('settings').values([
      { key: 'company', value: JSON.stringify({ name: 'Muster GmbH', address: 'Hauptstraße 1, 10115 Berlin' }), updated_by: null, updated_at: new Date().toISOString() },
      { key: 'privacy.notice', value: JSON.stringify({ url: 'https://muster.example/datenschutz', version: '2' }), updated_by: null, updated_at: new Date().toISOString() },
    ]).execute()
    expect((await enable()).statusCode).toBe(200)
    expect((await agent.inject({ method: 'GET', url: '/api/automation/state' })).json()).toEqual({ open: false, nextOpening: '2026-11-30T08:00:00.000Z', timezone: 'Europe/Berlin', greeting: true, away: true })

    const { conversationId } = await customerWrites(server, '4915500000001', 'Hallo, ist jemand da?')
    await customerWrites(server, '4915500000001', 'Noch eine Frage')
    await eventually(() => textsTo('4915500000001').length >= 2)
    const sent = await outbound(conversationId)
    expect(sent.map((m) => JSON.parse(m.content).text.body)).toEqual([
      expect.stringMatching(/^Datenschutzhinweis: Muster GmbH/),
      'Vielen Dank für Ihre Nachricht! Wir sind gerade nicht erreichbar und antworten ab Montag, 30. November, 09:00 Uhr.',
    ])
    expect(sent.every((m) => m.sent_by === null)).toBe(true)
    // Twelve hours later (the default period) the away message may go once more.
    now = SATURDAY + 13 * 3600_000
    await customerWrites(server, '4915500000001', 'Hallo?')
    await eventually(async () => (await outbound(conversationId)).length === 3)
  })

  it('in opening hours greets a first message, not the next ones, and not again within the silence', async () => {
    now = MONDAY_TEN
    expect((await agent.inject({ method: 'GET', url: '/api/automation/state' })).json()).toMatchObject({ open: true, nextOpening: null })
    const { conversationId } = await customerWrites(server, '4915500000002', 'Guten Morgen')
    await customerWrites(server, '4915500000002', 'Ich habe eine Frage zur Rechnung')
    await eventually(async () => (await outbound(conversationId)).length >= 2)
    await new Promise((r) => setTimeout(r, 300))
    const bodies = (await outbound(conversationId)).map((m) => JSON.parse(m.content).text.body)
    expect(bodies).toEqual([expect.stringMatching(/^Datenschutzhinweis/), DEFAULT_AUTOMATION.greeting.text])
  })

  it('sends nothing automatic to a number that objected to everything, nor in answer to a keyword', async () => {
    now = SATURDAY
    const { conversationId } = await customerWrites(server, '4915500000003', 'STOP')
    await eventually(async () => (await outbound(conversationId)).length === 1) // the STOP confirmation only
    await customerWrites(server, '4915500000003', 'Wann habt ihr offen?')
    await new Promise((r) => setTimeout(r, 300))
    expect((await outbound(conversationId)).map((m) => JSON.parse(m.content).text.body)).toEqual([expect.stringMatching(/keine Werbenachrichten mehr/)])
  })

  it('sends nothing when both are switched off', async () => {
    now = SATURDAY
    expect((await admin.inject({ method: 'PUT', url: '/api/automation', payload: DEFAULT_AUTOMATION })).statusCode).toBe(200)
    const { conversationId } = await customerWrites(server, '4915500000004', 'Hallo')
    await new Promise((r) => setTimeout(r, 300))
    // Only the privacy notice would go with an agent's first answer; nothing was sent on its own.
    expect(await outbound(conversationId)).toEqual([])
  })

  it('a number can have its own hours and answers; without them the workspace settings apply', async () => {
    now = SATURDAY
    const channel = server.simulatorState().identity.phoneNumberId
    expect((await agent.inject({ method: 'GET', url: `/api/automation?channelId=${channel}` })).json()).toMatchObject({ own: false, away: { enabled: false } })
    const mine = { ...DEFAULT_AUTOMATION, openingHours: { ...DEFAULT_AUTOMATION.openingHours, sat: [{ from: '14:00', to: '18:00' }] }, away: { ...DEFAULT_AUTOMATION.away, enabled: true, text: 'Samstags ab {{nextOpening}} für Sie da.' } }
    expect((await admin.inject({ method: 'PUT', url: `/api/automation?channelId=${channel}`, payload: mine })).statusCode).toBe(200)
    expect((await admin.inject({ method: 'PUT', url: '/api/automation?channelId=nope', payload: mine })).statusCode).toBe(404)
    expect((await agent.inject({ method: 'GET', url: '/api/automation' })).json()).toMatchObject({ own: true, away: { enabled: false } })
    expect((await agent.inject({ method: 'GET', url: `/api/automation/state?channelId=${channel}` })).json()).toMatchObject({ open: false, nextOpening: '2026-11-28T13:00:00.000Z', away: true })
    const { conversationId } = await customerWrites(server, '4915500000005', 'Hallo?')
    await eventually(async () => (await outbound(conversationId)).length > 0)
    expect((await outbound(conversationId)).map((m) => JSON.parse(m.content).text.body)).toEqual([expect.stringMatching(/^Datenschutzhinweis/), 'Samstags ab Samstag, 28. November, 14:00 Uhr für Sie da.'])
    expect((await admin.inject({ method: 'DELETE', url: `/api/automation?channelId=${channel}` })).statusCode).toBe(204)
    expect((await admin.inject({ method: 'DELETE', url: `/api/automation?channelId=${channel}` })).statusCode).toBe(404)
    expect((await agent.inject({ method: 'GET', url: `/api/automation?channelId=${channel}` })).json()).toMatchObject({ own: false })
  })
})
