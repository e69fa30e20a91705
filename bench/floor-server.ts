// The floor for bench/ingest: bare node:http, the same HMAC check, and one raw INSERT of the body
// per request with the same engine and durability as Postfach (SQLite WAL synchronous=FULL, or
// PostgreSQL with synchronous_commit=on). Run: node --import tsx bench/floor-server.ts PORT DIR [PG_URL]
import { createHash } from 'node:crypto'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { serveSignedWebhooks } from './signed-http.js'

const [portArg, dir, pgUrl] = process.argv.slice(2)

let insert: (body: Buffer) => Promise<void>
if (pgUrl) {
  const pool = new pg.Pool({ connectionString: pgUrl, max: 16 })
  await pool.query('create table if not exists floor_journal (seq bigserial primary key, received_at text, content_sha256 text, content bytea)')
  insert = async (body) => {
    await pool.query('insert into floor_journal (received_at, content_sha256, content) values ($1, $2, $3)', [new Date().toISOString(), createHash('sha256').update(body).digest('hex'), body])
  }
} else {
  const db = new SQLite(path.join(dir!, 'floor.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('create table if not exists floor_journal (seq integer primary key autoincrement, received_at text, content_sha256 text, content blob)')
  const stmt = db.prepare('insert into floor_journal (received_at, content_sha256, content) values (?, ?, ?)')
  insert = async (body) => {
    stmt.run(new Date().toISOString(), createHash('sha256').update(body).digest('hex'), body)
  }
}

serveSignedWebhooks(Number(portArg), (body, res) => {
  insert(body).then(
    () => res.writeHead(200).end('EVENT_RECEIVED'),
    () => res.writeHead(503).end(),
  )
})
