import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { hash as oneShotHash, randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { zipSync } from 'fflate'
import { createApiToken } from '../src/modules/auth/api-tokens.js'
import { localDate } from '../src/modules/privacy/deadlines.js'
import { type DatabaseHandle, openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { ArchiveLog } from '../src/modules/archive/archive-log.js'
import { loadArchiveKey } from '../src/modules/archive/signing-key.js'
import { STORED_LEVEL_STEP, storedConsistencyProof, storedInclusionProof } from '../src/modules/archive/tree-store.js'
import { verifyArchive } from '../src/modules/archive/verify.js'
import { PAGE } from '../src/modules/archive/verify-leaves.js'
import { appendEntries } from '../src/modules/journal/journal.repo.js'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { freePort, ServerProcess } from '../test/process.js'
import { runLoad } from './load.js'
import type { Engine } from './bench-db.js'

const SECRET = 'bench-secret'
const IDENTITY = { phoneNumberId: '109876543210987', wabaId: '102938475610293', displayPhoneNumber: '4930123456789' }

const webhookBody = (i: number, runId: string) =>
  Buffer.from(
    JSON.stringify(
      messagesEnvelope(IDENTITY, {
        contacts: [{ profile: { name: `Kunde ${i % 500}` }, wa_id: `49151${String(i % 500).padStart(8, '0')}` }],
        messages: [{ from: `49151${String(i % 500).padStart(8, '0')}`, id: `wamid.archive-${runId}-${i}`, timestamp: '1764403200', type: 'text', text: { body: `Hallo, das ist Nachricht ${i}.` } }],
      }),
    ),
  )

async function schemaFor(url: string) {
  const schema = `bench_${randomBytes(4).toString('hex')}`
  const db = await openDatabase({ url, dataDir: os.tmpdir(), pgSchema: schema })
  return { db, schema, drop: async () => { await sql.raw(`drop schema ${schema} cascade`).execute(db.db); await db.destroy() } }
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!

export type ArchiveRow = {
  engine: string
  ingest: { webhooksPerSecond: number; leavesPerSecond: number; catchUpMs: number }
  append: { leavesPerSecond: number; floorRowsPerSecond: number }
  verify: { leavesPerSecond: number; floorRowsPerSecond: number }
  proofs: { size: number; inclusionP50: number; inclusionP99: number; consistencyP99: number; floorP99: number }
  export: { messages: number; accepted: number; seconds: number; floorSeconds: number; megabytes: number }
}

/** A Postfach process with real-looking credentials (its Graph calls go nowhere), on its own schema for PostgreSQL. */
async function startPostfach(engine: Engine, pgUrl: string | undefined, dir: string) {
  const pgs = engine === 'postgres' ? await schemaFor(pgUrl!) : undefined
  const server = new ServerProcess(await freePort(), {
    DATA_DIR: dir,
    ...(pgs ? { DATABASE_URL: pgUrl!, DATABASE_SCHEMA: pgs.schema } : {}),
    WHATSAPP_APP_SECRET: SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench',
    WHATSAPP_ACCESS_TOKEN: 'bench',
    WHATSAPP_PHONE_NUMBER_ID: IDENTITY.phoneNumberId,
    WHATSAPP_API_BASE_URL: 'http://127.0.0.1:9/v26.0',
    LOG_LEVEL: 'error',
  })
  await server.start()
  return { pgs, server }
}

/** Webhooks through a real Postfach process; leaves/s = leaves in the log ÷ time until the log caught up. */
async function throughIngest(engine: Engine, pgUrl: string | undefined, seconds: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-archive-'))
  const { pgs, server } = await startPostfach(engine, pgUrl, dir)
  const runId = randomBytes(3).toString('hex')
  const bodies = Array.from({ length: 15_000 * seconds }, (_, i) => {
    const payload = webhookBody(i, runId)
    return { payload, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, payload) } }
  })
  const start = performance.now()
  const load = await runLoad({ url: `${server.url}/webhooks/whatsapp`, connections: 50, seconds, body: (i) => bodies[i % bodies.length]!, maxRequests: bodies.length })
  const loadEnd = performance.now()
  const handle = pgs ? pgs.db : await openDatabase({ dataDir: dir })
  let leaves = 0
  for (;;) {
    const j = await handle.db.selectFrom('journal').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    const l = await handle.db.selectFrom('archive_leaves').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()
    leaves = Number(l.n)
    if (leaves >= Number(j.n)) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const caughtUp = performance.now()
  await server.kill()
  if (pgs) await pgs.drop()
  else await handle.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
  return { webhooksPerSecond: load.rps, leavesPerSecond: leaves / ((caughtUp - start) / 1000), catchUpMs: caughtUp - loadEnd }
}

/** A journal of `size` webhook-sized entries, written in durable batches. */
async function fillJournal(database: DatabaseHandle, size: number) {
  const runId = randomBytes(3).toString('hex')
  for (let i = 0; i < size; i += 2000) {
    const n = Math.min(2000, size - i)
    await database.db.transaction().execute((tx) => appendEntries(tx, 'whatsapp.webhook', Array.from({ length: n }, (_, j) => webhookBody(i + j, runId))))
  }
}

async function onDataset(engine: Engine, pgUrl: string | undefined, size: number, log: (s: string) => void) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-archive-'))
  const pgs = engine === 'postgres' ? await schemaFor(pgUrl!) : undefined
  const database = pgs ? pgs.db : await openDatabase({ dataDir: dir })
  await migrateToLatest(database)
  log(`  ${engine}: writing ${size} journal entries…`)
  await fillJournal(database, size)
  const key = loadArchiveKey({ keyFile: undefined, dataDir: dir })
  const archive = new ArchiveLog(database, key, { checkpointEntries: 100_000, checkpointIntervalMs: 3_600_000 })

  log(`  ${engine}: integrating…`)
  let t = performance.now()
  await archive.sync({ forceCheckpoint: true })
  const append = size / ((performance.now() - t) / 1000)

  // Floor for appending: the same rows the log writes (one leaf row per entry, a node row per 16 on
  // level 4, per 256 on level 8, …) inserted bare, in the same batch size, no hashing.
  await sql.raw('create table bench_floor_leaves (idx bigint primary key, journal_seq bigint not null, leaf_data ' + (engine === 'postgres' ? 'bytea' : 'blob') + ' not null)').execute(database.db)
  await sql.raw('create table bench_floor_nodes (level integer not null, idx bigint not null, hash ' + (engine === 'postgres' ? 'bytea' : 'blob') + ' not null, primary key (level, idx))').execute(database.db)
  const leafBytes = Buffer.alloc(150, 1)
  const hash = Buffer.alloc(32, 2)
  t = performance.now()
  for (let i = 0; i < size; i += 2000) {
    const n = Math.min(2000, size - i)
    await database.db.transaction().execute(async (tx) => {
      for (let c = 0; c < n; c += 500) {
        const m = Math.min(500, n - c)
        await sql`insert into bench_floor_leaves (idx, journal_seq, leaf_data) values ${sql.join(Array.from({ length: m }, (_, k) => sql`(${i + c + k}, ${i + c + k}, ${leafBytes})`))}`.execute(tx)
      }
      const nodes = []
      for (let level = STORED_LEVEL_STEP; 2 ** level <= i + n; level += STORED_LEVEL_STEP) {
        for (let idx = Math.floor(i / 2 ** level); idx < Math.floor((i + n) / 2 ** level); idx++) nodes.push(sql`(${level}, ${idx}, ${hash})`)
      }
      if (nodes.length) await sql`insert into bench_floor_nodes (level, idx, hash) values ${sql.join(nodes)}`.execute(tx)
    })
  }
  const floorAppend = size / ((performance.now() - t) / 1000)

  log(`  ${engine}: verifying…`)
  // PostgreSQL marks each freshly written row as committed the first time a query reads it (hint
  // bits: a write of the page). That would fall on the verification, then not on the floor run
  // after it; an archive verified in practice was written long before. One untimed read first.
  if (engine === 'postgres') await sql`select (select count(*) from journal) + (select count(*) from archive_leaves) as n`.execute(database.db)
  t = performance.now()
  const report = await verifyArchive(database, archive.verifierKey, undefined)
  if (!report.ok || report.leaves !== size) throw new Error(`verification failed: ${JSON.stringify(report.problems.slice(0, 3))}`)
  const verify = size / ((performance.now() - t) / 1000)
  // Floor for verifying: read every journal entry in pages and hash its payload once (one-shot, as
  // verification does; on SQLite as arrays, in pages of the size verification reads).
  t = performance.now()
  for (let cursor = 0; ; ) {
    const page = database.db.selectFrom('journal').select(['seq', 'content']).where('seq', '>', cursor).orderBy('seq').limit(PAGE)
    const rows = database.readRows ? database.readRows(page.compile()).map((r) => ({ seq: r[0] as number, content: r[1] as Buffer })) : await page.execute()
    if (rows.length === 0) break
    for (const r of rows) oneShotHash('sha256', r.content!, 'buffer')
    cursor = Number(rows.at(-1)!.seq)
  }
  const floorVerify = size / ((performance.now() - t) / 1000)

  log(`  ${engine}: proofs…`)
  const inclusion: number[] = []
  const consistency: number[] = []
  const floor: number[] = []
  for (let i = 0; i < 2000; i++) {
    const m = Math.floor(Math.random() * size)
    let s = performance.now()
    await storedInclusionProof(database.db, m, size)
    inclusion.push(performance.now() - s)
    s = performance.now()
    await storedConsistencyProof(database.db, 1 + Math.floor(Math.random() * (size - 1)), size)
    consistency.push(performance.now() - s)
    s = performance.now()
    await database.db.selectFrom('archive_leaves').select(['leaf_data']).where('idx', '=', m).executeTakeFirst()
    floor.push(performance.now() - s)
  }
  if (pgs) await pgs.drop()
  else await database.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    append: { leavesPerSecond: append, floorRowsPerSecond: floorAppend },
    verify: { leavesPerSecond: verify, floorRowsPerSecond: floorVerify },
    proofs: { size, inclusionP50: percentile(inclusion, 50), inclusionP99: percentile(inclusion, 99), consistencyP99: percentile(consistency, 99), floorP99: percentile(floor, 99) },
  }
}

/**
 * The Z3 export of `messages` archived messages through the real HTTP route, against the floor of
 * reading the same messages with their journal entries and zipping them (no CSV, proofs or seals).
 */
async function exportPhase(engine: Engine, pgUrl: string | undefined, messages: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-export-'))
  const { pgs, server } = await startPostfach(engine, pgUrl, dir)
  const runId = randomBytes(3).toString('hex')
  const load = await runLoad({
    url: `${server.url}/webhooks/whatsapp`,
    connections: 50,
    seconds: 3600,
    maxRequests: messages,
    body: (i) => {
      const payload = webhookBody(i, runId)
      return { payload, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, payload) } }
    },
  })
  const handle = pgs ? pgs.db : await openDatabase({ dataDir: dir })
  const { token } = await createApiToken(handle.db, { name: 'bench', role: 'admin', createdBy: null })
  const day = localDate(new Date(1764403200 * 1000).toISOString()) // the webhooks' message time
  let t = performance.now()
  const res = await fetch(`${server.url}/api/archive/export?from=${day}&to=${day}`, { headers: { authorization: `Bearer ${token}` } })
  const zip = Buffer.from(await res.arrayBuffer())
  const seconds = (performance.now() - t) / 1000
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${zip.toString('utf8').slice(0, 300)}`)
  t = performance.now()
  const rows = await handle.db.selectFrom('messages as m').innerJoin('journal as j', 'j.seq', 'm.journal_seq').select(['m.id', 'm.content as text', 'j.seq', 'j.content']).execute()
  zipSync(Object.fromEntries(rows.flatMap((r) => [[`raw/${r.seq}.json`, r.content!], [`m/${r.id}.json`, Buffer.from(r.text)]])), { level: 6 })
  const floorSeconds = (performance.now() - t) / 1000
  await server.kill()
  if (pgs) await pgs.drop()
  else await handle.destroy()
  fs.rmSync(dir, { recursive: true, force: true })
  return { messages: rows.length, accepted: load.requests, seconds, floorSeconds, megabytes: zip.length / 1e6 }
}

export async function benchArchive(o: { leaves: number; seconds: number; exportMessages: number; engines: Engine[]; pgUrl: string | undefined; log: (s: string) => void }): Promise<ArchiveRow[]> {
  const out: ArchiveRow[] = []
  for (const engine of o.engines) {
    o.log(`  ${engine}: webhooks through Postfach for ${o.seconds} s…`)
    const ingest = await throughIngest(engine, o.pgUrl, o.seconds)
    const dataset = await onDataset(engine, o.pgUrl, o.leaves, o.log)
    o.log(`  ${engine}: Z3 export of ${o.exportMessages} messages…`)
    out.push({ engine, ingest, ...dataset, export: await exportPhase(engine, o.pgUrl, o.exportMessages) })
  }
  return out
}

export function formatArchive(rows: ArchiveRow[]): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US')
  const ms = (x: number) => x.toFixed(2)
  const lines = [
    '| engine | through ingest: webhooks/s → leaves/s (catch-up after load) | append leaves/s (floor: bare rows/s) | verify leaves/s (floor: read + hash/s) | inclusion proof p50 / p99 ms | consistency p99 ms | floor: one row p99 ms |',
    '|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    lines.push(
      `| ${r.engine} | ${n(r.ingest.webhooksPerSecond)} → ${n(r.ingest.leavesPerSecond)} (${n(r.ingest.catchUpMs)} ms) | ${n(r.append.leavesPerSecond)} (${n(r.append.floorRowsPerSecond)}) | ${n(r.verify.leavesPerSecond)} (${n(r.verify.floorRowsPerSecond)}) | ${ms(r.proofs.inclusionP50)} / ${ms(r.proofs.inclusionP99)} at ${n(r.proofs.size)} | ${ms(r.proofs.consistencyP99)} | ${ms(r.proofs.floorP99)} |`,
    )
  }
  lines.push('', '| engine | Z3 export: messages | seconds (floor: read + zip) | ZIP MB |', '|---|---|---|---|')
  for (const r of rows) lines.push(`| ${r.engine} | ${n(r.export.messages)} | ${r.export.seconds.toFixed(1)} (${r.export.floorSeconds.toFixed(1)}) | ${r.export.megabytes.toFixed(1)} |`)
  return lines.join('\n')
}
