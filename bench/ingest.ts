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

const SECRET = 'bench-secret'
const IDENTITY = { phoneNumberId: '109876543210987', wabaId: '102938475610293', displayPhoneNumber: '4930123456789' }
const ROOT = path.resolve(import.meta.dirname, '..')

/** A signed text webhook with its own wamid, from one of 500 customers. */
function webhook(i: number, runId: string) {
  const waId = `49151${String(i % 500).padStart(8, '0')}`
  const payload = Buffer.from(
    JSON.stringify(
      messagesEnvelope(IDENTITY, {
        contacts: [{ profile: { name: `Kunde ${i % 500}` }, wa_id: waId }],
        messages: [{ from: waId, id: `wamid.bench-${runId}-${i}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: `Hallo, das ist Nachricht ${i}.` } }],
      }),
    ),
  )
  return { payload, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(SECRET, payload) } }
}

async function startFloor(port: number, dir: string, pgUrl?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/floor-server.ts'), String(port), dir, ...(pgUrl ? [pgUrl] : [])], { env: { ...process.env, BENCH_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()))
  return { pid: child.pid!, stop: () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM') }) }
}

async function pgSchema(url: string) {
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

type Row = { target: string; closed: LoadResult; paced: LoadResult; pacedRange: [number, number]; cpuMsPerRequest: number }

/**
 * CPU time (user + system) a process has used, in ms, from /proc (Linux; clock ticks of 10 ms).
 * Unlike a p99 on a shared machine it hardly varies between runs: how much work one webhook costs.
 */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** Paced runs per target: one run's p99 swings with the disk's fsync latency, so the median of three is reported, with the range. */
const PACED_RUNS = 3

/** Bodies are made and signed before a phase starts, so the load generator spends its CPU on sending. */
function prepared(count: number, runId: string) {
  const bodies = Array.from({ length: count }, (_, i) => webhook(i, runId))
  return (i: number) => bodies[i % count]!
}

async function measure(target: string, url: string, seconds: number, pid: number): Promise<Row> {
  const runId = randomBytes(3).toString('hex')
  await runLoad({ url, connections: 10, seconds: 1, body: prepared(2000, `${runId}w`) }) // warm-up
  const closed = await runLoad({ url, connections: 50, seconds, body: prepared(12_000 * seconds, `${runId}c`), maxRequests: 12_000 * seconds })
  const paced: LoadResult[] = []
  const cpuBefore = cpuMs(pid)
  for (let k = 0; k < PACED_RUNS; k++) paced.push(await runLoad({ url, connections: 50, seconds, rate: 1000, body: prepared(1000 * seconds, `${runId}p${k}`) }))
  const cpuMsPerRequest = (cpuMs(pid) - cpuBefore) / paced.reduce((n, p) => n + p.requests, 0)
  paced.sort((a, b) => a.p99 - b.p99)
  return { target, closed, paced: paced[Math.floor(PACED_RUNS / 2)]!, pacedRange: [paced[0]!.p99, paced.at(-1)!.p99], cpuMsPerRequest }
}

export async function benchIngest(o: { seconds: number; pgUrl: string | undefined }) {
  const engines: ('sqlite' | 'postgres')[] = o.pgUrl ? ['sqlite', 'postgres'] : ['sqlite']
  const out: { engine: string; floor: Row; postfach: Row }[] = []
  for (const engine of engines) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-'))
    const floorDb = engine === 'postgres' ? await pgSchema(o.pgUrl!) : undefined
    const floorPort = await freePort()
    const floor = await startFloor(floorPort, dir, floorDb?.urlWithPath)
    const floorRow = await measure('floor', `http://127.0.0.1:${floorPort}/`, o.seconds, floor.pid)
    await floor.stop()
    await floorDb?.drop()

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
    const appRow = await measure('postfach', `${server.url}/webhooks/whatsapp`, o.seconds, server.pid!)
    await server.kill()
    await appDb?.drop()
    fs.rmSync(dir, { recursive: true, force: true })
    out.push({ engine, floor: floorRow, postfach: appRow })
  }
  return out
}

export function formatIngest(rows: Awaited<ReturnType<typeof benchIngest>>): string {
  const f = (n: number, d = 0) => n.toFixed(d)
  const lines = ['| engine | target | req/s (50 conn.) | p50 ms | p99 ms | p99 ms at 1,000 req/s (median of 3; range) | server CPU ms per webhook at 1,000 req/s | non-200 | ratio |', '|---|---|---|---|---|---|---|---|---|']
  for (const r of rows) {
    for (const row of [r.floor, r.postfach]) {
      const non200 = Object.entries({ ...row.closed.statuses }).filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0) + row.closed.errors
      const ratio = row.target === 'postfach' ? f(r.postfach.closed.rps / r.floor.closed.rps, 2) : '1.00'
      lines.push(`| ${r.engine} | ${row.target} | ${f(row.closed.rps)} | ${f(row.closed.p50, 1)} | ${f(row.closed.p99, 1)} | ${f(row.paced.p99, 1)} (${f(row.paced.rps)} req/s; ${f(row.pacedRange[0], 1)}–${f(row.pacedRange[1], 1)}) | ${f(row.cpuMsPerRequest, 2)} | ${non200} | ${ratio} |`)
    }
  }
  return lines.join('\n')
}
