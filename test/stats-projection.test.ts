import { describe, expect, it } from 'vitest'
import { newId } from '../src/platform/ids.js'
import { countsFromRows } from './stats-rows.js'
import { type Caller, customerWrites, DIALECT, eventually, type TestServer, useTestServer } from './helpers.js'

type Json = Record<string, any>
const HOUR = 3_600_000
const DAY = 24 * HOUR
const BASE = Date.UTC(2026, 5, 1) // June: the window lies well before the test's real traffic
const iso = (ms: number) => new Date(ms).toISOString()
/** After every message the test writes, and the whole hour before the test's real traffic. */
const NOW = Math.floor(Date.now() / HOUR) * HOUR + HOUR

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/** Nearest rank, by sorting: the plain way, unlike the server's selection. */
const nearest = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(p * xs.length) - 1)]! : null)

describe(`${DIALECT}: the statistics projection follows every change to messages and resolutions`, () => {
  const ctx = useTestServer()
  let server: TestServer
  let agent: Caller

  /** Every figure the projection answers, computed from the raw rows. */
  async function fromRows(from: number, to: number) {
    const { db } = server.database
    const messages = await db.selectFrom('messages').select(['id', 'conversation_id', 'timestamp', 'direction', 'status', 'sent_by', 'type']).execute()
    const turns: number[] = []
    const waiting: string[] = []
    // A turn: a customer message right after an agent's or none; answered by the next agent message.
    for (const conversationId of new Set(messages.map((m) => m.conversation_id))) {
      const rows = messages
        .filter((m) => m.conversation_id === conversationId && m.type !== 'reaction' && (m.direction === 'inbound' || m.sent_by !== null))
        .sort((a, b) => (a.timestamp === b.timestamp ? (a.id < b.id ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1))
      rows.forEach((m, i) => {
        if (m.direction !== 'inbound' || rows[i - 1]?.direction === 'inbound' || m.timestamp < iso(from) || m.timestamp >= iso(to)) return
        const answer = rows.slice(i + 1).find((a) => a.direction === 'outbound')
        if (answer) turns.push((Date.parse(answer.timestamp) - Date.parse(m.timestamp)) / 1000)
        else waiting.push(`${conversationId} ${m.timestamp}`)
      })
    }
    const resolutions = await db.selectFrom('conversation_resolutions').select(['conversation_id', 'resolved_at']).execute()
    const resolved = resolutions.filter((r) => r.resolved_at >= iso(from) && r.resolved_at < iso(to))
    const resolutionSeconds = resolved.flatMap((r) => {
      const previous = resolutions.filter((p) => p.conversation_id === r.conversation_id && p.resolved_at < r.resolved_at).map((p) => p.resolved_at).sort().at(-1) ?? ''
      const opened = messages.filter((m) => m.conversation_id === r.conversation_id && m.direction === 'inbound' && m.type !== 'reaction' && m.timestamp > previous && m.timestamp <= r.resolved_at).map((m) => m.timestamp).sort()[0]
      return opened ? [(Date.parse(r.resolved_at) - Date.parse(opened)) / 1000] : []
    })
    return {
      waiting: waiting.sort(),
      ...countsFromRows(messages, iso(from), iso(to)),
      firstResponse: { count: turns.length, medianSeconds: nearest(turns, 0.5), p90Seconds: nearest(turns, 0.9) },
      resolution: { count: resolutionSeconds.length, medianSeconds: nearest(resolutionSeconds, 0.5), p90Seconds: nearest(resolutionSeconds, 0.9) },
      conversationsResolved: resolved.length,
    }
  }

  it('matches the raw rows after random inserts (out of order), status changes, moves and deletions, on whole hours and ragged edges', async () => {
    ;({ server, agent } = ctx)
    const { db } = server.database
    const conversations: string[] = []
    for (let i = 0; i < 6; i++) conversations.push((await customerWrites(server, `4915900000${i}0`, 'Hallo')).conversationId)
    const random = rng(42)
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
    const mine: string[] = []
    const resolutions: string[] = []
    const someTime = () => iso(BASE + Math.floor(random() * 10 * DAY))
    let later = 0
    const operations = {
      async insert() {
        const inbound = random() < 0.5
        const id = newId()
        mine.push(id)
        const at = someTime()
        await db.insertInto('messages').values({
          id, conversation_id: pick(conversations), wamid: `wamid.proj-${id}`, direction: inbound ? 'inbound' : 'outbound', type: random() < 0.1 ? 'reaction' : 'text',
          status: inbound ? 'received' : pick(['queued', 'sent', 'delivered', 'read', 'failed'] as const), timestamp: at, content: '{"type":"text","text":{"body":"x"}}', key_id: null,
          context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: inbound ? null : pick([agent.userId!, agent.userId!, null]), journal_seq: null, created_at: at, updated_at: at,
        }).execute()
      },
      /** A customer writes on after everything so far: such a batch may only lengthen waiting turns, or start new ones. */
      async writeOn(conversationId = pick(conversations), agentAnswers = false) {
        const id = newId()
        mine.push(id)
        const at = iso(NOW + ++later * 60_000)
        await db.insertInto('messages').values({
          id, conversation_id: conversationId, wamid: `wamid.proj-${id}`, direction: agentAnswers ? 'outbound' : 'inbound', type: 'text', status: agentAnswers ? 'sent' : 'received', timestamp: at,
          content: '{"type":"text","text":{"body":"x"}}', key_id: null, context_wamid: null, error_code: null, error_title: null, error_detail: null,
          sent_by: agentAnswers ? agent.userId! : null, journal_seq: null, created_at: at, updated_at: at,
        }).execute()
      },
      async status() {
        if (mine.length) await db.updateTable('messages').set({ status: pick(['sent', 'delivered', 'read', 'failed'] as const) }).where('id', '=', pick(mine)).where('direction', '=', 'outbound').execute()
      },
      async move() {
        if (mine.length) await db.updateTable('messages').set({ timestamp: someTime() }).where('id', '=', pick(mine)).execute()
      },
      async remove() {
        if (mine.length) await db.deleteFrom('messages').where('id', '=', mine.splice(Math.floor(random() * mine.length), 1)[0]!).execute()
      },
      async resolve() {
        const id = newId()
        resolutions.push(id)
        await db.insertInto('conversation_resolutions').values({ id, conversation_id: pick(conversations), resolved_by: null, resolved_at: someTime() }).execute()
      },
      async reresolve() {
        if (resolutions.length) await db.updateTable('conversation_resolutions').set({ resolved_at: someTime() }).where('id', '=', pick(resolutions)).execute()
      },
      async unresolve() {
        if (resolutions.length) await db.deleteFrom('conversation_resolutions').where('id', '=', resolutions.splice(Math.floor(random() * resolutions.length), 1)[0]!).execute()
      },
    }
    const weights: [keyof typeof operations, number][] = [['insert', 10], ['status', 3], ['move', 3], ['remove', 2], ['resolve', 2], ['reresolve', 1], ['unresolve', 1]]
    const periods = [
      [BASE, BASE + 10 * DAY], // whole hours: the aggregates
      [BASE + DAY + 17 * 60_000 + 3_000, BASE + 6 * DAY + 3 * HOUR + 5_000], // ragged: aggregates inside, rows at the edges
      [BASE + 2 * DAY + 10 * 60_000, BASE + 2 * DAY + 50 * 60_000], // inside one hour
      [NOW - DAY, NOW + DAY], // the conversations' first words (now), and what customers wrote on after everything
    ]
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 40; i++) {
        let r = random() * 22
        const [op] = weights.find(([, w]) => (r -= w) < 0) ?? weights[0]!
        // Every third round only customers write (and statuses change): waiting turns grow, answered ones get a successor.
        await operations[round % 3 === 2 ? (i % 4 ? 'writeOn' : 'status') : op]()
      }
      // Before those rounds, half the conversations end answered: their customers' next words start a new turn.
      if (round % 3 === 1) for (const id of conversations.slice(0, 3)) await operations.writeOn(id, true)
      for (const [from, to] of periods) {
        const res = await agent.inject({ method: 'GET', url: `/api/stats/summary?from=${iso(from!)}&to=${iso(to!)}` })
        expect(res.statusCode).toBe(200)
        const s = res.json() as Json
        const expected = await fromRows(from!, to!)
        const { waiting, ...figures } = expected
        // The turns still waiting for an answer are kept as facts too: later changes start from them.
        const open = await db.selectFrom('stats_durations').select(['conversation_id', 'at']).where('kind', '=', 'response').where('seconds', 'is', null).where('at', '>=', iso(from!)).where('at', '<', iso(to!)).execute()
        expect(open.map((d) => `${d.conversation_id} ${d.at}`).sort(), `waiting turns, round ${round}`).toEqual(waiting)
        expect({ ...s, firstResponse: { count: s.firstResponse.count, medianSeconds: s.firstResponse.medianSeconds, p90Seconds: s.firstResponse.p90Seconds }, resolution: { count: s.resolution.count, medianSeconds: s.resolution.medianSeconds, p90Seconds: s.resolution.p90Seconds } }, `round ${round}, ${iso(from!)} – ${iso(to!)}`).toMatchObject(figures)
        expect(s.firstResponse.withinHours.count + s.firstResponse.outsideHours.count).toBe(figures.firstResponse.count)
      }
      const days = (await agent.inject({ method: 'GET', url: `/api/stats/series?from=${iso(BASE)}&to=${iso(BASE + 10 * DAY)}&bucket=day` })).json().items as Json[]
      const whole = await fromRows(BASE, BASE + 10 * DAY)
      for (const k of ['received', 'sent', 'delivered', 'read', 'failed'] as const) expect(days.reduce((n, d) => n + d[k], 0), `${k} per day, round ${round}`).toBe(whole[k])
    }
    // The data really exercised what the test is about.
    const whole = await fromRows(BASE, BASE + 10 * DAY)
    expect(whole.firstResponse.count).toBeGreaterThan(10)
    expect(whole.resolution.count).toBeGreaterThan(3)
    expect(whole.failed).toBeGreaterThan(0)
  })

  it('is applied in the background too, without anyone asking for statistics', async () => {
    const { db } = server.database
    await customerWrites(server, '4915900000099', 'Noch eine Frage')
    expect(Number((await db.selectFrom('stats_changes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(0)
    await eventually(async () => Number((await db.selectFrom('stats_changes').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) === 0, 15_000)
    expect(await db.selectFrom('stats_message_hours').select('n').where('direction', '=', 'inbound').where('hour', '>=', new Date(Date.now() - HOUR).toISOString().slice(0, 13)).execute()).not.toEqual([])
  }, 20_000)
})
