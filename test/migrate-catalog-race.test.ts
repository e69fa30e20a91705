import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrationsApplied } from '../src/db/migrate.js'
import { DIALECT, onTestPostgres, TEST_DATABASE_URL, useTestServer } from './helpers.js'

/**
 * Kysely's migrator lists every table of every schema to find its own, and PostgreSQL fails that
 * listing when a table elsewhere in the database is dropped meanwhile. Other installations (or
 * test runs) sharing the database must not make Postfach's start or readiness check fail.
 */
describe(`${DIALECT}: the migration check while other schemas of the database change`, () => {
  const ctx = useTestServer()
  const side = `churn_${process.pid}`
  let churning = true
  let churn: Promise<number> = Promise.resolve(0)
  beforeAll(async () => {
    if (DIALECT !== 'postgres') return
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
    await client.connect()
    await client.query(`create schema if not exists ${side}`)
    churn = (async () => {
      let rounds = 0
      while (churning) {
        await client.query(`create table ${side}.t${rounds % 8} (id serial primary key, a text, b text, c text)`)
        await client.query(`drop table ${side}.t${rounds % 8}`)
        rounds++
      }
      await client.end()
      return rounds
    })()
  })
  afterAll(async () => {
    churning = false
    await churn
    if (DIALECT === 'postgres') await onTestPostgres(`drop schema if exists ${side} cascade`)
  })

  it('answers ready and reports the migrations applied every time', async () => {
    for (let i = 0; i < 40; i++) {
      expect(await migrationsApplied(ctx.server.database)).toBe(true)
      expect((await ctx.server.app.inject({ method: 'GET', url: '/api/ready' })).statusCode).toBe(200)
    }
    churning = false
    // The other schema really changed throughout (on PostgreSQL).
    if (DIALECT === 'postgres') expect(await churn).toBeGreaterThan(20)
  }, 60_000)
})
