import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import SQLite from 'better-sqlite3'
import path from 'node:path'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { SIMULATOR_DEFAULTS, startSimulatorServer } from '../src/simulator/index.js'
import { DIALECT } from './helpers.js'
import { freePort, processDatabase, runCli, ServerProcess } from './process.js'


const IDENTITY = { phoneNumberId: SIMULATOR_DEFAULTS.phoneNumberId, wabaId: SIMULATOR_DEFAULTS.wabaId, displayPhoneNumber: SIMULATOR_DEFAULTS.displayPhoneNumber }

/** Reads from the server's database directly (the server process may be dead). */
async function query(db: { dataDir: string; databaseUrl: string | undefined; schema: string | undefined }, sql: string): Promise<Record<string, unknown>[]> {
  if (db.databaseUrl) {
    const c = new pg.Client({ connectionString: db.databaseUrl, options: `-c search_path=${db.schema}` })
    await c.connect()
    try {
      return (await c.query(sql)).rows
    } finally {
      await c.end()
    }
  }
  const s = new SQLite(path.join(db.dataDir, 'postfach.sqlite'), { readonly: true })
  try {
    return s.prepare(sql).all() as Record<string, unknown>[]
  } finally {
    s.close()
  }
}

function webhookFor(i: number) {
  const waId = `4915166${String(i % 50).padStart(6, '0')}`
  return JSON.stringify(
    messagesEnvelope(IDENTITY, {
      contacts: [{ profile: { name: `Kunde ${i}` }, wa_id: waId }],
      messages: [{ from: waId, id: `wamid.fault-${i}`, timestamp: String(1767261600 + i), type: 'text', text: { body: `Nachricht ${i}` } }],
    }),
  )
}

describe(`${DIALECT}: SIGKILL at random moments loses nothing and duplicates nothing`, () => {
  let db: Awaited<ReturnType<typeof processDatabase>>
  let sim: Awaited<ReturnType<typeof startSimulatorServer>>
  let server: ServerProcess
  const TOKEN = 'fault-test-token'
  const SECRET = 'fault-test-secret'

  beforeAll(async () => {
    db = await processDatabase()
    const port = await freePort()
    sim = await startSimulatorServer({ appSecret: SECRET, accessToken: TOKEN, webhookUrl: () => `http://127.0.0.1:${port}/webhooks/whatsapp`, behaviour: { statusStepMs: 30, throughputPerSecond: 1000 } })
    server = new ServerProcess(port, {
      ...db.env,
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'v',
      WHATSAPP_ACCESS_TOKEN: TOKEN,
      WHATSAPP_PHONE_NUMBER_ID: IDENTITY.phoneNumberId,
      WHATSAPP_BUSINESS_ACCOUNT_ID: IDENTITY.wabaId,
      WHATSAPP_API_BASE_URL: sim.baseUrl,
      WHATSAPP_MESSAGES_PER_SECOND: '20',
      SEND_LEASE_SECONDS: '2',
      POSTFACH_ADMIN_EMAIL: 'fault@example.com',
      POSTFACH_ADMIN_PASSWORD: 'fault-password-1',
    })
    await server.start()
  }, 60_000)
  afterAll(async () => {
    await server.kill()
    await sim.close()
    await db.cleanup()
  })

  it('stores every acknowledged webhook exactly once; resending the rest reaches exactly N', async () => {
    const N = 300
    const acked = new Set<number>()
    const post = async (i: number) => {
      const body = webhookFor(i)
      try {
        const res = await fetch(`${server.url}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, body) }, body, signal: AbortSignal.timeout(5000) })
        if (res.status === 200) acked.add(i)
      } catch {
        /* killed mid-request: not acknowledged */
      }
    }
    let next = 0
    const senders = Array.from({ length: 8 }, async () => {
      while (next < N) await post(next++)
    })
    // The killer: SIGKILL at random moments while webhooks arrive, then restart.
    let kills = 0
    const killer = (async () => {
      while (next < N && kills < 4) {
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 300))
        await server.kill()
        kills++
        await server.start()
      }
    })()
    await Promise.all([...senders, killer])
    expect(kills).toBeGreaterThan(0)

    const stored = await query(db, `select wamid from messages where wamid like 'wamid.fault-%'`)
    const storedIds = new Set(stored.map((r) => Number(String(r.wamid).slice('wamid.fault-'.length))))
    for (const i of acked) expect(storedIds.has(i), `acknowledged webhook ${i} is stored`).toBe(true)
    expect(stored.length).toBe(storedIds.size) // no duplicates

    // Meta delivers again what was not acknowledged.
    for (let i = 0; i < N; i++) if (!acked.has(i)) await post(i)
    expect(acked.size).toBe(N)
    const final = await query(db, `select count(*) as n from messages where wamid like 'wamid.fault-%'`)
    expect(Number(final[0]!.n)).toBe(N)

    // GOBD-2, ARCH-3: the archive's log takes in every journal entry, numbered without gaps,
    // across the crashes, and the whole archive verifies.
    const counts = async () => (await query(db, `select (select count(*) from journal) as journal, (select count(*) from archive_leaves) as leaves, (select coalesce(max(idx), -1) from archive_leaves) as last`))[0]!
    for (let i = 0; i < 200 && Number((await counts()).leaves) < Number((await counts()).journal); i++) await new Promise((r) => setTimeout(r, 50))
    const c = await counts()
    expect(Number(c.leaves)).toBe(Number(c.journal))
    expect(Number(c.last)).toBe(Number(c.leaves) - 1)
    await server.kill() // a clean view for the verifier; the next test starts it again
    const verified = await runCli(['archive', 'verify'], db.env)
    expect(verified.stdout).toMatch(/The archive is intact/)
    expect(verified.code).toBe(0)
    await server.start()
  }, 120_000)

  it('sends every queued message at most once across crashes, and none is lost', async () => {
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'fault@example.com', password: 'fault-password-1' }) })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const { csrfToken } = (await login.json()) as { csrfToken: string }
    const M = 120
    const ids: string[] = []
    for (let i = 0; i < M; i++) {
      const res = await fetch(`${server.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ to: `4915177${String(i).padStart(6, '0')}`, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } }),
      })
      expect(res.status).toBe(202)
      ids.push(((await res.json()) as { id: string }).id)
    }
    let killsWhileSending = 0
    for (let k = 0; k < 5; k++) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400))
      const queued = await query(db, `select count(*) as n from messages where direction = 'outbound' and status = 'queued'`)
      if (Number(queued[0]!.n) === 0) break
      killsWhileSending++
      await server.kill()
      // Leases of killed sends must expire before the restart recovers them.
      await server.start()
    }
    // Wait until every message reached a final state (sent or later, failed, or uncertain).
    const deadline = Date.now() + 60_000
    let rows: Record<string, unknown>[] = []
    while (Date.now() < deadline) {
      rows = await query(db, `select id, status, wamid from messages where direction = 'outbound'`)
      if (rows.length === M && rows.every((r) => r.status !== 'queued')) break
      await new Promise((r) => setTimeout(r, 200))
    }
    expect(rows).toHaveLength(M)
    expect(killsWhileSending).toBeGreaterThan(0)
    const perMessage = new Map<string, number>()
    for (const s of sim.state.sent) if (s.bizOpaque) perMessage.set(s.bizOpaque, (perMessage.get(s.bizOpaque) ?? 0) + 1)
    for (const r of rows) {
      const sends = perMessage.get(String(r.id)) ?? 0
      expect(sends, `message ${String(r.id)} sent ${sends} times`).toBeLessThanOrEqual(1)
      if (['sent', 'delivered', 'read'].includes(String(r.status))) expect(sends).toBe(1)
      else expect(r.status, `message ${String(r.id)} is ${String(r.status)}`).toBe('uncertain')
    }
    expect([...perMessage.keys()].every((id) => ids.includes(id))).toBe(true)
    console.log(`fault test: ${killsWhileSending} kills while sending, ${rows.filter((r) => r.status === 'uncertain').length} uncertain, ${perMessage.size} sent`)
  }, 120_000)
})
