import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { type DatabaseHandle, openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrate.js'

export type Engine = 'sqlite' | 'postgres'

async function onPostgres(url: string, statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  await c.query(statement)
  await c.end()
}

/**
 * A fresh, migrated database for one benchmark run: a SQLite file in a new data directory, or a
 * schema of its own on the PostgreSQL server. `env` starts a Postfach process on the same data.
 * Everything is removed afterwards, also when the run fails.
 */
export async function withBenchDatabase<T>(
  engine: Engine,
  pgUrl: string | undefined,
  run: (handle: DatabaseHandle, env: Record<string, string>) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-bench-'))
  const schema = engine === 'postgres' ? `bench_${randomBytes(4).toString('hex')}` : undefined
  if (schema) await onPostgres(pgUrl!, `create schema ${schema}`)
  const handle = await openDatabase({ url: engine === 'postgres' ? pgUrl : undefined, dataDir, ...(schema ? { pgSchema: schema } : {}) })
  try {
    await migrateToLatest(handle)
    return await run(handle, { DATA_DIR: dataDir, ...(schema ? { DATABASE_URL: pgUrl!, DATABASE_SCHEMA: schema } : {}) })
  } finally {
    await handle.destroy()
    if (schema) await onPostgres(pgUrl!, `drop schema ${schema} cascade`)
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}
