// The floor for bench/ingest: bare node:http, the same HMAC check, and one raw INSERT of the body
// per request with the same engine and durability as Postfach (SQLite WAL synchronous=FULL, or
// PostgreSQL with synchronous_commit=on). Run: node --import tsx bench/floor-server.ts PORT DIR [PG_URL]
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'

const [portArg, dir, pgUrl] = process.argv.slice(2)
const SECRET = process.env.BENCH_SECRET ?? 'bench-secret'

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

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    const header = String(req.headers['x-hub-signature-256'] ?? '')
    const expected = Buffer.from('sha256=' + createHmac('sha256', SECRET).update(body).digest('hex'))
    if (header.length !== expected.length || !timingSafeEqual(Buffer.from(header), expected)) {
      res.writeHead(401).end()
      return
    }
    insert(body).then(
      () => res.writeHead(200).end('EVENT_RECEIVED'),
      () => res.writeHead(503).end(),
    )
  })
})
server.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'))
