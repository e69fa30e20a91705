import { type Insertable, sql } from 'kysely'
import type { DatabaseHandle } from '../src/db/database.js'
import type { ContactsTable, ConversationResolutionsTable, ConversationsTable, NewMessage } from '../src/db/schema.js'
import { createApiToken } from '../src/modules/auth/api-tokens.js'
import { insertUser } from '../src/modules/auth/users.repo.js'
import { StatsProjector } from '../src/modules/stats/projector.js'
import { newId } from '../src/platform/ids.js'
import { freePort, ServerProcess } from '../test/process.js'
import { type Engine, withBenchDatabase } from './bench-db.js'

const CHANNEL = '109876543210987'
const DAY = 86_400_000
const STATUSES = ['read', 'read', 'read', 'delivered', 'delivered', 'sent', 'failed'] as const

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? 0
async function timed(n: number, run: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await run()
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await run()
    ms.push(performance.now() - t)
  }
  return { p50: pct(ms, 0.5), p95: pct(ms, 0.95) }
}

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/**
 * A year of traffic: `conversations` conversations of `perConversation` messages, customers and
 * agents taking turns a few minutes apart, outbound statuses mixed (some failed), every other
 * conversation resolved. Times spread evenly over the 365 days before `now`.
 */
export async function seed(handle: DatabaseHandle, o: { conversations: number; perConversation: number; now: number; log: (s: string) => void }) {
  const { db } = handle
  const random = rng(7)
  const iso = (ms: number) => new Date(ms).toISOString()
  await db.insertInto('channels').values({ id: CHANNEL, waba_id: 'bench', display_phone_number: null, paused_reason: null, paused_at: null, created_at: iso(o.now), updated_at: iso(o.now) }).onConflict((oc) => oc.column('id').doNothing()).execute()
  const agents: string[] = []
  for (const n of [1, 2, 3]) agents.push((await insertUser(db, { email: `agent${n}@bench.example`, name: `Agent ${n}`, role: 'agent', passwordHash: 'x' })).id)
  for (let start = 0; start < o.conversations; start += 500) {
    const contacts: Insertable<ContactsTable>[] = []
    const conversations: Insertable<ConversationsTable>[] = []
    const messages: NewMessage[] = []
    const resolutions: Insertable<ConversationResolutionsTable>[] = []
    for (let i = start; i < Math.min(o.conversations, start + 500); i++) {
      const contactId = newId()
      const conversationId = newId()
      const first = o.now - Math.floor(random() * 365 * DAY)
      let at = first
      for (let m = 0; m < o.perConversation; m++) {
        at += Math.floor(random() * 30 * 60_000) + 1000
        const inbound = m % 2 === 0
        messages.push({
          id: newId(), conversation_id: conversationId, wamid: `wamid.stats-${i}-${m}`, direction: inbound ? 'inbound' : 'outbound', type: 'text',
          status: inbound ? 'received' : STATUSES[Math.floor(random() * STATUSES.length)]!, timestamp: iso(at), content: '{"type":"text","text":{"body":"…"}}', key_id: null,
          context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: inbound ? null : agents[i % agents.length]!, journal_seq: null, created_at: iso(at), updated_at: iso(at),
        })
      }
      contacts.push({ id: contactId, wa_id: `49160${String(i).padStart(8, '0')}`, user_id: null, profile_name: `Kunde ${i}`, first_contact_at: iso(first), last_contact_at: iso(at), created_at: iso(first), updated_at: iso(at) })
      conversations.push({ id: conversationId, contact_id: contactId, channel_id: CHANNEL, status: i % 2 ? ('resolved' as const) : ('open' as const), assignee_id: null, last_message_at: iso(at), last_inbound_at: iso(at), created_at: iso(first), updated_at: iso(at) })
      if (i % 2) resolutions.push({ id: newId(), conversation_id: conversationId, resolved_by: agents[0]!, resolved_at: iso(at + 60_000) })
    }
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('contacts').values(contacts).execute()
      await trx.insertInto('conversations').values(conversations).execute()
      for (let i = 0; i < messages.length; i += 400) await trx.insertInto('messages').values(messages.slice(i, i + 400)).execute()
      if (resolutions.length) await trx.insertInto('conversation_resolutions').values(resolutions).execute()
    })
    if ((start / 500) % 20 === 0) o.log(`  seeded ${start + contacts.length} conversations`)
  }
  await sql`analyze`.execute(db)
}

export type StatsRow = { engine: string; period: string; messages: number; projectedS: number; dashboard: { p50: number; p95: number }; floor: { p50: number; p95: number } }

/**
 * The statistics dashboard (summary and per-day series, the two requests the page makes) over a
 * year of 1,000,000 messages, through the HTTP API, for this month's 30 days and for the whole
 * year; the floor is the bare count of the period's messages on the same database.
 */
export async function benchStats(o: { conversations: number; perConversation: number; samples: number; engines: Engine[]; pgUrl: string | undefined; log: (s: string) => void }): Promise<StatsRow[]> {
  const rows: StatsRow[] = []
  const now = Date.now()
  for (const engine of o.engines) {
    await withBenchDatabase(engine, o.pgUrl, async (handle, env) => {
      const t0 = performance.now()
      o.log(`${engine}: seeding ${o.conversations} conversations × ${o.perConversation} messages over a year`)
      await seed(handle, { ...o, now })
      o.log(`${engine}: seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
      // The server keeps the aggregates current as messages arrive; a database filled at once is caught up here, as after an upgrade.
      const t1 = performance.now()
      await new StatsProjector(handle.db, handle.dialect).catchUp()
      const projectedS = (performance.now() - t1) / 1000
      // What autovacuum does soon after: the drained change log leaves a million dead rows behind.
      if (engine === 'postgres') await sql`vacuum analyze`.execute(handle.db)
      o.log(`${engine}: statistics projected in ${projectedS.toFixed(0)} s`)
      const { token } = await createApiToken(handle.db, { name: 'bench', role: 'agent', createdBy: null })
      const server = new ServerProcess(await freePort(), env)
      await server.start()
      try {
        const get = async (url: string) => {
          const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } })
          if (!res.ok) throw new Error(`${url} → ${res.status} ${await res.text()}`)
          return res.json()
        }
        for (const [period, from] of [['last 30 days', now - 30 * DAY], ['whole year', now - 366 * DAY]] as const) {
          const to = new Date(now + 60_000).toISOString()
          const q = `from=${new Date(from).toISOString()}&to=${to}`
          const inPeriod = () => handle.db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).where('timestamp', '>=', new Date(from).toISOString()).where('timestamp', '<', to).executeTakeFirstOrThrow()
          rows.push({
            engine,
            period,
            messages: Number((await inPeriod()).n),
            projectedS,
            dashboard: await timed(o.samples, () => Promise.all([get(`/api/stats/summary?${q}`), get(`/api/stats/series?${q}&bucket=day`)])),
            floor: await timed(o.samples, inPeriod),
          })
        }
      } finally {
        await server.kill()
      }
    })
  }
  return rows
}

export function formatStats(rows: StatsRow[]): string {
  const lines = ['| engine | period | messages in period | dashboard p50 / p95 (summary + series, HTTP) | floor: bare count p50 / p95 | goal p95 < 100 ms |', '|---|---|---:|---:|---:|---|']
  for (const r of rows) lines.push(`| ${r.engine} | ${r.period} | ${r.messages.toLocaleString('en')} | ${r.dashboard.p50.toFixed(1)} / ${r.dashboard.p95.toFixed(1)} ms | ${r.floor.p50.toFixed(1)} / ${r.floor.p95.toFixed(1)} ms | ${r.dashboard.p95 < 100 ? 'met' : 'not met'} |`)
  const built = [...new Map(rows.map((r) => [r.engine, r.projectedS]))].map(([engine, s]) => `${engine} ${s.toFixed(0)} s`).join(', ')
  lines.push('', `Projection of the whole year built from scratch (as after an upgrade): ${built}.`)
  return lines.join('\n')
}
