import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import pg from 'pg'
import { sql } from 'kysely'
import { afterAll, beforeAll } from 'vitest'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { type RunningServer, startServer, type StartOptions } from '../src/main.js'
import { hashPassword } from '../src/modules/auth/passwords.js'
import { insertUser } from '../src/modules/auth/users.repo.js'
import { signBody } from '../src/modules/whatsapp/signature.js'
import { SIMULATOR_DEFAULTS, type SimulatorState } from '../src/simulator/index.js'
import type { Role } from '../src/db/schema.js'
import { localDate } from '../src/modules/privacy/deadlines.js'

/** Which database this run tests: PostgreSQL when TEST_DATABASE_URL is set, else SQLite. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined
export const DIALECT = TEST_DATABASE_URL ? 'postgres' : 'sqlite'
export const APP_SECRET = SIMULATOR_DEFAULTS.appSecret
export const FIXTURES = path.resolve(import.meta.dirname, '../../shared/whatsapp-fixtures')

export type TestServer = RunningServer & {
  dataDir: string
  /** Sends a body to POST /webhooks/whatsapp, signed like Meta unless told otherwise. */
  webhook(body: string | Buffer | object, opts?: { signature?: string | null }): Promise<LightMyRequestResponse>
  /** Creates a user and logs in; returns a caller that sends its cookie and CSRF token. */
  login(role: Role, email?: string): Promise<Caller>
  /** Creates an API token of a role; returns a caller that sends it as Bearer. */
  token(role: Role): Promise<Caller>
  stop(): Promise<void>
  /** The embedded simulator (present: tests run without WhatsApp credentials). */
  simulatorState(): SimulatorState
}

export type Caller = {
  inject(o: InjectOptions): Promise<LightMyRequestResponse>
  userId: string | undefined
  headers: Record<string, string>
}

/** Starts a real server on a free port with a fresh database (a new schema on PostgreSQL). */
export async function startTestServer(o: StartOptions & { env?: Record<string, string> } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-test-'))
  const schema = TEST_DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', POSTFACH_ADMIN_EMAIL: 'root@example.com', POSTFACH_ADMIN_PASSWORD: 'root-password-123', ...o.env })
  const database = await openDatabase({ url: TEST_DATABASE_URL, dataDir, ...(schema ? { pgSchema: schema } : {}) })
  const server = await startServer(config, {
    logger: o.logger ?? false,
    database,
    simulator: { behaviour: { statusStepMs: 20 }, delivery: { retryDelaysMs: [50, 100, 200, 400] }, ...o.simulator },
    ...(o.clock ? { clock: o.clock } : {}),
  })
  let n = 0
  const makeCaller = (headers: Record<string, string>, userId?: string): Caller => ({
    headers,
    userId,
    inject: (req) => server.app.inject({ ...req, headers: { ...headers, ...(req.headers as Record<string, string> | undefined) } }),
  })
  return Object.assign(server, {
    dataDir,
    webhook(body: string | Buffer | object, opts: { signature?: string | null } = {}) {
      const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
      const signature = opts.signature === undefined ? signBody(APP_SECRET, raw) : opts.signature
      return server.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
        payload: raw,
      })
    },
    async login(role: Role, email = `${role}${++n}@example.com`) {
      const user = await insertUser(database.db, { email, name: `${role} ${n}`, role, passwordHash: await hashPassword('correct-horse-battery') })
      const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'correct-horse-battery' } })
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
      const cookie = res.cookies.find((c) => c.name === 'postfach_session')!
      return makeCaller({ cookie: `postfach_session=${cookie.value}`, 'x-csrf-token': res.json().csrfToken }, user.id)
    },
    async token(role: Role) {
      const { createApiToken } = await import('../src/modules/auth/api-tokens.js')
      const { token } = await createApiToken(database.db, { name: `test ${role}`, role, createdBy: null })
      return makeCaller({ authorization: `Bearer ${token}` })
    },
    simulatorState() {
      if (!server.simulator) throw new Error('no simulator')
      return server.simulator
    },
    async stop() {
      // A close that hangs must not fail the suite: report it and release the database anyway.
      const closed = await Promise.race([server.close().then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), 20_000))])
      if (!closed) {
        process.stderr.write(`test server close took over 20 s (${schema ?? dataDir}); destroying its database handle\n`)
        await database.destroy().catch(() => {})
      }
      await removeTestDatabase(dataDir, schema)
    },
  })
}

/** Runs SQL on the test PostgreSQL server (outside any app connection). */
export async function onTestPostgres(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** Drops a test run's schema (PostgreSQL) and data directory. */
export async function removeTestDatabase(dataDir: string, schema: string | undefined): Promise<void> {
  // Cleanup only: if something still holds a lock, leave the schema rather than wait forever.
  if (schema) await onTestPostgres(`set lock_timeout = '10s'; drop schema if exists ${schema} cascade`).catch(() => {})
  fs.rmSync(dataDir, { recursive: true, force: true })
}

/**
 * A simulated customer writes a text; resolves with the conversation id once Postfach stored it
 * (and with the message's wamid).
 */
export async function customerWrites(server: TestServer, waId: string, body = 'Hallo', name = 'Test Kunde') {
  const wamid = server.simulatorState().customerSends(waId, name, 'text', { body })
  const row = await eventually(() => server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirst())
  return { conversationId: row.conversation_id, wamid }
}

/**
 * The contact with this number, its details opened, or undefined. Numbers are sealed at rest and
 * found by their keyed hash (`wa_key`), as the app finds them.
 */
export async function contactByNumber(server: Pick<RunningServer, 'database' | 'vault'>, waId: string) {
  const { db } = server.database
  return server.vault.details.openRow(db, await db.selectFrom('contacts').selectAll().where('wa_key', '=', server.vault.details.lookupKey('wa', waId)).executeTakeFirst())
}

/** Registers a fresh server (and a logged-in agent; with `team`, an admin and an auditor as well) for the tests of one describe block. */
export function useTestServer(opts: Parameters<typeof startTestServer>[0] & { team?: boolean } = {}) {
  const ctx = {} as { server: TestServer; agent: Caller; admin: Caller; auditor: Caller }
  beforeAll(async () => {
    ctx.server = await startTestServer(opts)
    ctx.agent = await ctx.server.login('agent')
    // The whole team (an admin and an auditor too) for suites that test who may do what.
    if (opts.team) [ctx.admin, ctx.auditor] = [await ctx.server.login('admin'), await ctx.server.login('auditor')]
  }, 60_000)
  afterAll(() => ctx.server.stop())
  return ctx
}

export const readFixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8')
export const fixtureNames = (): string[] => fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()

/** Polls until `check` returns a truthy value (for asynchronous work such as workers and webhooks). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const start = Date.now()
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (e) {
      last = e
    }
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export const count = async (server: RunningServer, table: 'journal' | 'messages' | 'contacts' | 'conversations' | 'message_statuses' | 'unrouted_events' | 'media' | 'jobs' | 'message_terms') =>
  Number((await server.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)

/** Today and this year as the company's calendar has them (Europe/Berlin), which is what dates in Postfach mean. */
export const berlinToday = (): string => localDate(new Date().toISOString())
export const berlinYear = (): number => Number(berlinToday().slice(0, 4))

/** An attacker with database access: the append-only triggers are the first thing to go. */
export async function withoutTriggers(server: Pick<TestServer, 'database'>, table: string, change: () => Promise<unknown>) {
  const db = server.database.db
  if (DIALECT === 'postgres') {
    await sql.raw(`alter table ${table} disable trigger user`).execute(db)
    await change()
    await sql.raw(`alter table ${table} enable trigger user`).execute(db)
    return
  }
  const { rows } = await sql<{ name: string; sql: string }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name = ${table}`.execute(db)
  for (const t of rows) await sql.raw(`drop trigger ${t.name}`).execute(db)
  await change()
  for (const t of rows) await sql.raw(t.sql).execute(db)
}


/** The environment that points `postfach` (the CLI) at a test server's data directory and database. */
export const serverDatabaseEnv = (server: TestServer): Record<string, string> => ({
  DATA_DIR: server.dataDir,
  ...(TEST_DATABASE_URL ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: server.database.schema! } : {}),
})

/** A log destination that keeps every line, for tests that read what the server logged. */
export function capturedLog(): { stream: Writable; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return { stream, lines }
}
