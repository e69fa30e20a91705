import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { capturedLog, DIALECT, startTestServer, type TestServer } from './helpers.js'

describe(`${DIALECT}: the start warns where PostgreSQL is not kept tidy`, () => {
  let server: TestServer
  const { stream, lines } = capturedLog()
  beforeAll(async () => {
    server = await startTestServer({ logger: { stream }, env: { LOG_LEVEL: 'warn' } })
  })
  afterAll(() => server.stop())

  it('logs a warning at start exactly when autovacuum is off (never on SQLite)', async () => {
    const warned = lines.some((l) => l.includes("PostgreSQL's autovacuum is off"))
    if (DIALECT === 'sqlite') return expect(warned).toBe(false)
    const { rows } = await sql<{ autovacuum: string }>`select current_setting('autovacuum') as autovacuum`.execute(server.database.db)
    expect(warned).toBe(rows[0]!.autovacuum !== 'on')
  })
})
