import fs from 'node:fs'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import { type CompiledQuery, Kysely, PostgresDialect, sql, SqliteDialect, type Transaction } from 'kysely'
import pg from 'pg'
import type { Database } from './schema.js'

export type Dialect = 'sqlite' | 'postgres'
export type Db = Kysely<Database>
/** Anything that runs queries: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>

export type DatabaseHandle = {
  db: Db
  dialect: Dialect
  /** For PostgreSQL: the schema all tables live in (tests use one fresh schema per run). */
  schema: string | undefined
  /** PostgreSQL only: a dedicated connection that LISTENs on a channel (for instances sharing the database). */
  listen?: (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>
  /** How to open another connection to the same database (a worker thread's); absent for an in-memory SQLite database. */
  options?: DatabaseOptions
  /**
   * SQLite only: a query's rows as arrays, values in the order selected (better-sqlite3's raw
   * mode). For reads of millions of rows, where making an object per row is the cost (verification).
   */
  readRows?: (query: CompiledQuery) => unknown[][]
  /** PostgreSQL: a compiled query whose rows come as arrays (no object per row; for reads of many rows). */
  queryArrays?: (query: CompiledQuery) => Promise<unknown[][]>
  destroy(): Promise<void>
}

export type DatabaseOptions = {
  /** postgres:// URL; when absent, an SQLite file in dataDir. */
  url?: string | undefined
  dataDir: string
  /** SQLite file name or ':memory:'. */
  sqliteFile?: string
  sqliteSynchronous?: 'FULL' | 'NORMAL'
  /** PostgreSQL schema to create (if missing) and use as search_path. */
  pgSchema?: string
  pgPoolSize?: number
  /** SQLite: open the file for reading only (a worker beside the server's own connection). */
  readonly?: boolean
}

// int8 (bigint, identity columns) would otherwise arrive as strings; our sequence numbers stay far
// below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10))

/**
 * A transaction whose commit need not wait for the disk: it becomes durable with the next durable
 * commit (both engines write their log in order) or within a fraction of a second. Only for writes
 * whose loss in a power cut the crash recovery already handles, never for anything acknowledged to
 * Meta or a user (SQLite `synchronous=NORMAL` for this commit, PostgreSQL `synchronous_commit=off`).
 */
export async function relaxedTransaction<T>(database: Pick<DatabaseHandle, 'db' | 'dialect'>, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  if (database.dialect === 'postgres') {
    return database.db.transaction().execute(async (tx) => {
      await sql`set local synchronous_commit = off`.execute(tx)
      return fn(tx)
    })
  }
  // SQLite allows the setting only outside a transaction; holding the one connection keeps every
  // other commit at FULL.
  return database.db.connection().execute(async (conn) => {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(conn)
    const configured = rows[0]?.synchronous ?? 2
    if (configured <= 1) return conn.transaction().execute(fn) // already NORMAL or OFF
    await sql`pragma synchronous = NORMAL`.execute(conn)
    try {
      return await conn.transaction().execute(fn)
    } finally {
      await sql.raw(`pragma synchronous = ${configured}`).execute(conn)
    }
  })
}

export async function openDatabase(opts: DatabaseOptions): Promise<DatabaseHandle> {
  if (opts.url) return openPostgres(opts.url, opts)
  return openSqlite(opts)
}

function openSqlite(opts: DatabaseOptions): DatabaseHandle {
  const file = opts.sqliteFile ?? path.join(opts.dataDir, 'postfach.sqlite')
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true })
  if (opts.readonly) {
    const reader = new SQLite(file, { readonly: true })
    reader.pragma('busy_timeout = 5000')
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(reader) }) })
    return { db, dialect: 'sqlite', schema: undefined, options: opts, readRows: rowReader(reader), destroy: () => db.destroy() }
  }
  const sqlite = new SQLite(file)
  sqlite.pragma('journal_mode = WAL')
  // FULL: a commit survives power loss, which is what a 200 to Meta promises.
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'FULL'}`)
  sqlite.pragma('foreign_keys = ON')
  // Deleted rows are overwritten, not left in free pages: an erasure leaves nothing to scrape from the file.
  sqlite.pragma('secure_delete = ON')
  sqlite.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
  return { db, dialect: 'sqlite', schema: undefined, ...(file === ':memory:' ? {} : { options: { ...opts, sqliteFile: file } }), readRows: rowReader(sqlite), destroy: () => db.destroy() }
}

/** Runs compiled queries in raw mode, on statements of its own (Kysely's cached ones stay in object mode). */
function rowReader(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>()
  return (query: CompiledQuery) => {
    let stmt = cache.get(query.sql)
    if (!stmt) {
      stmt = sqlite.prepare(query.sql).raw(true)
      if (cache.size > 100) cache.clear()
      cache.set(query.sql, stmt)
    }
    return stmt.all(...query.parameters) as unknown[][]
  }
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement. The same
 * SQL text always gets the same prepared statement here. Safe because Kysely runs one query at a
 * time on this connection and never streams in our code.
 */
function withStatementCache(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>()
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql)
      if (!stmt) {
        stmt = sqlite.prepare(sql)
        if (cache.size > 2000) cache.clear()
        cache.set(sql, stmt)
      }
      return stmt
    },
  }
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<DatabaseHandle> {
  const schema = opts.pgSchema
  if (schema) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query(`create schema if not exists ${schema}`)
    } finally {
      await client.end()
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.pgPoolSize ?? 20,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  })
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  const listen = async (channel: string, onPayload: (payload: string) => void) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    client.on('notification', (n) => n.channel === channel && n.payload !== undefined && onPayload(n.payload))
    client.on('error', () => undefined) // a lost listener ends with the instance; the browsers refetch on reconnect
    await client.query(`listen "${channel}"`)
    return async () => {
      await client.end().catch(() => undefined)
    }
  }
  const queryArrays = async (query: CompiledQuery) => (await pool.query({ text: query.sql, values: [...query.parameters], rowMode: 'array' })).rows as unknown[][]
  return { db, dialect: 'postgres', schema, listen, queryArrays, options: { ...opts, url }, destroy: () => db.destroy() }
}
