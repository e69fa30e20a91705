import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { messagesEnvelope } from '../src/simulator/payloads.js'
import { freePort, ServerProcess } from '../test/process.js'
import { type LoadResult, runLoad } from './load.js'
import type { Engine } from './bench-db.js'

const SECRET = 'bench-secret'
const IDENTITY = { phoneNumberId: '109876543210987', wabaId: '102938475610293', displayPhoneNumber: '4930123456789' }
const ROOT = path.resolve(import.meta.dirname, '..')

/**
 * A signed text webhook with its own wamid, from one of 500 customers. Time moves a second per
 * 1,000 webhooks, as it does for a real stream: each customer's newer message moves its contact's
 * last contact time (a write the ingest makes for real traffic, not only for a customer's first).
 */
function webhook(i: number, runId: string) {
  const waId = `49151${String(i % 500).padStart(8, '0')}`
  const payload = Buffer.from(
    JSON.stringify(
      messagesEnvelope(IDENTITY, {
        contacts: [{ profile: { name: `Kunde ${i % 500}` }, wa_id: waId }],
        messages: [{ from: waId, id: `wamid.bench-${runId}-${i}`, timestamp: String(Math.floor(Date.now() / 1000) + Math.floor(i / 1000)), type: 'text', text: { body: `Hallo, das ist Nachricht ${i}.` } }],
      }),
    ),
  )
  return { payload, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, payload) } }
}

/**
 * A reference server of bench/ (the floor, or the minimum transaction) as its own process, in a data
 * directory and, on PostgreSQL, a schema of its own; `stop` removes both.
 */
export async function startReference(script: 'floor-server.ts' | 'minimum-server.ts', pgUrl: string | undefined, env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-'))
  const db = pgUrl ? await pgSchema(pgUrl) : undefined
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', script), String(port), dir, ...(db ? [db.urlWithPath] : [])], { env: { ...process.env, BENCH_SECRET: SECRET, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()))
  return {
    url: `http://127.0.0.1:${port}/`,
    pid: child.pid!,
    dir,
    databaseUrl: db?.urlWithPath,
    stop: async () => {
      await new Promise<void>((r) => {
        child.once('exit', () => r())
        child.kill('SIGTERM')
      })
      await db?.drop()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function pgSchema(url: string) {
  const schema = `bench_${randomBytes(4).toString('hex')}`
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(`create schema ${schema}`)
  await c.end()
  const withPath = new URL(url)
  withPath.searchParams.set('options', `-c search_path=${schema}`)
  return {
    schema,
    urlWithPath: withPath.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: url })
      await d.connect()
      await d.query(`drop schema ${schema} cascade`)
      await d.end()
    },
  }
}

type Row = {
  target: TargetName
  /** Answers other than 200, and failed requests, over all runs. */
  failures: number
  closed: LoadResult
  closedRange: [number, number]
  paced: LoadResult
  pacedRange: [number, number]
  cpuMsPerRequest: number
  /** Closed-loop requests/s against the floor's in the same round: median and range. */
  ratio: number
  ratioRange: [number, number]
}

/**
 * CPU time (user + system) a process has used, in ms, from /proc (Linux; clock ticks of 10 ms).
 * Unlike a p99 on a shared machine it hardly varies between runs: how much work one webhook costs.
 */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * Runs per phase and target. This machine's speed drifts (the floor alone measured 1,800 to
 * 3,800 requests/s on different hours of one day), so the floor and Postfach run in turns, each
 * round back to back, and the median round is reported with the range.
 */
const ROUNDS = 3

/** Seconds at 1,000 webhooks/s before each paced run, not measured. */
const PACED_WARM_UP_SECONDS = 5

/** Bodies are made and signed before a phase starts, so the load generator spends its CPU on sending. */
function prepared(count: number, runId: string) {
  const bodies = Array.from({ length: count }, (_, i) => webhook(i, runId))
  return (i: number) => bodies[i % count]!
}

/** floor, the least transaction issue 3 allows, the same sealed and indexed as issue 6 asks, Postfach. */
type TargetName = 'floor' | 'minimum' | 'minimum sealed' | 'postfach'
type Target = { name: TargetName; url: string; pid: number; runId: string }

const median = <T>(xs: T[], by: (x: T) => number): T => [...xs].sort((a, b) => by(a) - by(b))[Math.floor(xs.length / 2)]!
const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)]

/**
 * The targets measured in alternation: per round a closed-loop run of each (a target's ratio to the
 * floor is taken within a round, from runs a few seconds apart), then the paced runs the same way,
 * with the CPU time each server used over its paced runs. The first target is the floor.
 */
async function measureInTurns(targets: Target[], seconds: number): Promise<Row[]> {
  for (const t of targets) await runLoad({ url: t.url, connections: 10, seconds: 1, body: prepared(2000, `${t.runId}w`) }) // warm-up
  const closed = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]))
  const paced = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]))
  const cpu = new Map<string, number>(targets.map((t) => [t.name, 0]))
  /** ROUNDS rounds, each running every target back to back, the order turning by one each round. */
  const inTurns = async (run: (t: Target, round: number) => Promise<void>) => {
    for (let k = 0; k < ROUNDS; k++) for (let i = 0; i < targets.length; i++) await run(targets[(i + k) % targets.length]!, k)
  }
  await inTurns(async (t, k) => {
    closed.get(t.name)!.push(await runLoad({ url: t.url, connections: 50, seconds, body: prepared(12_000 * seconds, `${t.runId}c${k}`), maxRequests: 12_000 * seconds }))
  })
  await inTurns(async (t, k) => {
    // The goal is the p99 of a steady stream: the first seconds at this rate after a burst (the
    // closed-loop runs leave background work behind) or after a start are not measured.
    await runLoad({ url: t.url, connections: 50, seconds: PACED_WARM_UP_SECONDS, rate: 1000, body: prepared(1000 * PACED_WARM_UP_SECONDS, `${t.runId}pw${k}`) })
    const before = cpuMs(t.pid)
    paced.get(t.name)!.push(await runLoad({ url: t.url, connections: 50, seconds, rate: 1000, body: prepared(1000 * seconds, `${t.runId}p${k}`) }))
    cpu.set(t.name, cpu.get(t.name)! + cpuMs(t.pid) - before)
  })
  return targets.map((t) => {
    const c = closed.get(t.name)!
    const p = paced.get(t.name)!
    const ratios = c.map((run, k) => run.rps / closed.get('floor')![k]!.rps)
    return {
      target: t.name,
      failures: [...c, ...p].reduce((n, r) => n + r.errors + Object.entries(r.statuses).reduce((m, [status, count]) => m + (status === '200' ? 0 : count), 0), 0),
      closed: median(c, (r) => r.rps),
      closedRange: range(c.map((r) => r.rps)),
      paced: median(p, (r) => r.p99),
      pacedRange: range(p.map((r) => r.p99)),
      cpuMsPerRequest: cpu.get(t.name)! / p.reduce((n, r) => n + r.requests, 0),
      ratio: median(ratios, (r) => r),
      ratioRange: range(ratios),
    }
  })
}

export async function benchIngest(o: { seconds: number; engines: Engine[]; pgUrl: string | undefined }) {
  const out: { engine: string; rows: Row[] }[] = []
  for (const engine of o.engines) {
    const referenceDb = engine === 'postgres' ? o.pgUrl! : undefined
    const floor = await startReference('floor-server.ts', referenceDb)
    const minimum = await startReference('minimum-server.ts', referenceDb)
    const sealed = await startReference('minimum-server.ts', referenceDb, { MINIMUM_SEALED: '1' })
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-'))
    const appDb = engine === 'postgres' ? await pgSchema(o.pgUrl!) : undefined
    const server = new ServerProcess(await freePort(), {
      DATA_DIR: dir,
      ...(appDb ? { DATABASE_URL: o.pgUrl!, DATABASE_SCHEMA: appDb.schema } : {}),
      WHATSAPP_APP_SECRET: SECRET,
      WHATSAPP_VERIFY_TOKEN: 'bench',
      WHATSAPP_ACCESS_TOKEN: 'bench',
      WHATSAPP_PHONE_NUMBER_ID: IDENTITY.phoneNumberId,
      WHATSAPP_BUSINESS_ACCOUNT_ID: IDENTITY.wabaId,
      WHATSAPP_API_BASE_URL: 'http://127.0.0.1:9/v26.0',
      LOG_LEVEL: 'error',
    })
    await server.start()
    const runId = randomBytes(3).toString('hex')
    const rows = await measureInTurns(
      [
        { name: 'floor', url: floor.url, pid: floor.pid, runId: `${runId}f` },
        { name: 'minimum', url: minimum.url, pid: minimum.pid, runId: `${runId}m` },
        { name: 'minimum sealed', url: sealed.url, pid: sealed.pid, runId: `${runId}s` },
        { name: 'postfach', url: `${server.url}/webhooks/whatsapp`, pid: server.pid!, runId: `${runId}a` },
      ],
      o.seconds,
    )
    await server.kill()
    for (const reference of [floor, minimum, sealed]) await reference.stop()
    await appDb?.drop()
    fs.rmSync(dir, { recursive: true, force: true })
    out.push({ engine, rows })
  }
  return out
}

export function formatIngest(rows: Awaited<ReturnType<typeof benchIngest>>): string {
  const f = (n: number, d = 0) => n.toFixed(d)
  const lines = [
    '| engine | target | req/s at 50 conn. (median of 3; range) | p50 ms | p99 ms | p99 ms at 1,000 req/s (median of 3; range) | server CPU ms per webhook at 1,000 req/s | non-200 (all runs) | ratio (median of 3; range) |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of rows) {
    for (const row of r.rows) {
      const ratio = row.target === 'floor' ? '1.00' : `${f(row.ratio, 2)} (${f(row.ratioRange[0], 2)}–${f(row.ratioRange[1], 2)})`
      lines.push(
        `| ${r.engine} | ${row.target} | ${f(row.closed.rps)} (${f(row.closedRange[0])}–${f(row.closedRange[1])}) | ${f(row.closed.p50, 1)} | ${f(row.closed.p99, 1)} | ${f(row.paced.p99, 1)} (${f(row.paced.rps)} req/s; ${f(row.pacedRange[0], 1)}–${f(row.pacedRange[1], 1)}) | ${f(row.cpuMsPerRequest, 2)} | ${row.failures} | ${ratio} |`,
      )
    }
  }
  return lines.join('\n')
}
