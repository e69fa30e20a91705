// The "minimum" target of bench/ingest: the least a server can do and still keep issue 3's rule
// for a webhook — in one transaction per group of webhooks: the raw body and its SHA-256 in a
// journal, the contact upserted, the conversation upserted, the message inserted (unique wamid),
// answered 200 only after the commit. Written by hand for speed: bare node:http, the same HMAC
// check (bench/signed-http.ts), prepared statements, group commit (SQLite: everything that arrived while the previous
// group was committing; PostgreSQL: one statement per group, two groups in flight). It has none
// of Postfach's other duties — no encryption at rest, no search index, no statistics, no Merkle
// log, no consent, no statuses, no realtime — so its rate is an upper bound for any server that
// keeps the rule on this machine, and its ratio to the floor says which ratio goals can be met.
// With MINIMUM_SEALED=1 it also keeps issue 6's rules that sit in the same transaction: contents,
// names and numbers sealed with AES-256-GCM under a data key per customer (made on first sight,
// stored wrapped by a master key), the journal entry sealed under the same key, and the message
// entered into Postfach's own blind index (src/modules/search/blind-index.ts) for search.
// Run: node --import tsx bench/minimum-server.ts PORT DIR [PG_URL]
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto'
import path from 'node:path'
import SQLite from 'better-sqlite3'
import pg from 'pg'
import { BlindIndex } from '../src/modules/search/blind-index.js'
import { serveSignedWebhooks } from './signed-http.js'

const [portArg, dir, pgUrl] = process.argv.slice(2)
const SEALED = process.env.MINIMUM_SEALED === '1'

type Inbound = { waId: string; name: string; wamid: string; type: string; body: string; at: string }
type Webhook = { raw: Buffer; sha256: string; messages: Inbound[]; done: (ok: boolean) => void }

/** Stored forms: plain, or (MINIMUM_SEALED) sealed and indexed. */
const masterKey = randomBytes(32)
const lookupKey = randomBytes(32)
const blindIndex = new BlindIndex(randomBytes(32))
const dataKeys = new Map<string, Buffer>()
const newKeys: { waKey: string; wrapped: Buffer }[] = []

function seal(key: Buffer, plain: Buffer | string): Buffer {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const body = Buffer.concat([cipher.update(plain), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()])
}

/** The customer's data key; a new one is queued to be stored (wrapped) in the group's transaction. */
function dataKeyOf(waId: string): Buffer {
  let key = dataKeys.get(waId)
  if (!key) {
    key = randomBytes(32)
    dataKeys.set(waId, key)
    newKeys.push({ waKey: lookupOf(waId), wrapped: seal(masterKey, key) })
  }
  return key
}

const lookupOf = (waId: string) => (SEALED ? createHmac('sha256', lookupKey).update(waId).digest('base64url') : waId)
const stored = (waId: string, text: string): string | Buffer => (SEALED ? seal(dataKeyOf(waId), text) : text)
const journalContent = (w: Webhook): Buffer => (SEALED && w.messages[0] ? seal(dataKeyOf(w.messages[0].waId), w.raw) : w.raw)
const termsOf = (m: Inbound): number[] => (SEALED ? blindIndex.termsOf(m.body) : [])
/** The data keys made since the last group, to store with it. */
const takeNewKeys = () => newKeys.splice(0, newKeys.length)

/** The text messages of a Cloud API webhook with their senders (the bench sends only those). */
function inboundMessages(raw: Buffer): Inbound[] {
  const out: Inbound[] = []
  for (const entry of JSON.parse(raw.toString('utf8')).entry ?? []) {
    for (const change of entry.changes ?? []) {
      const value = change.value ?? {}
      for (const m of value.messages ?? []) {
        const contact = (value.contacts ?? []).find((c: { wa_id: string }) => c.wa_id === m.from)
        out.push({ waId: m.from, name: contact?.profile?.name ?? '', wamid: m.id, type: m.type, body: m.text?.body ?? '', at: new Date(Number(m.timestamp) * 1000).toISOString() })
      }
    }
  }
  return out
}

/** One row per contact in a group, with its newest time (an upsert may touch a row once). */
function contactsOf(group: Webhook[]) {
  const byWaId = new Map<string, { name: string; at: string }>()
  for (const m of group.flatMap((w) => w.messages)) {
    const seen = byWaId.get(m.waId)
    if (!seen || seen.at < m.at) byWaId.set(m.waId, { name: m.name, at: m.at })
  }
  // Sorted, so that two groups in flight lock contacts in the same order (no deadlock).
  return [...byWaId.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
}

function sqliteCommitter(file: string): (group: Webhook[]) => Promise<void> {
  const db = new SQLite(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(`
    create table if not exists journal (seq integer primary key autoincrement, received_at text not null, content_sha256 text not null, content blob not null);
    create table if not exists data_keys (wa_key text primary key, wrapped blob not null);
    create table if not exists contacts (id integer primary key, wa_id text not null unique, name blob, number blob, last_contact_at text);
    create table if not exists conversations (id integer primary key, contact_id integer not null unique references contacts(id), last_message_at text);
    create table if not exists messages (id integer primary key, wamid text not null unique, conversation_id integer not null references conversations(id), direction text not null, type text not null, body blob, timestamp text not null, status text not null);
    create index if not exists messages_conversation on messages (conversation_id, id);
    create table if not exists message_terms (term integer not null, message_id integer not null, primary key (term, message_id)) without rowid;
  `)
  const dataKey = db.prepare('insert into data_keys (wa_key, wrapped) values (?, ?) on conflict do nothing')
  const term = db.prepare('insert into message_terms (term, message_id) values (?, ?) on conflict do nothing')
  const journal = db.prepare('insert into journal (received_at, content_sha256, content) values (?, ?, ?)')
  const contact = db.prepare('insert into contacts (wa_id, name, number, last_contact_at) values (?, ?, ?, ?) on conflict (wa_id) do update set name = excluded.name, last_contact_at = max(last_contact_at, excluded.last_contact_at) returning id')
  const conversation = db.prepare('insert into conversations (contact_id, last_message_at) values (?, ?) on conflict (contact_id) do update set last_message_at = max(last_message_at, excluded.last_message_at) returning id')
  const message = db.prepare("insert into messages (wamid, conversation_id, direction, type, body, timestamp, status) values (?, ?, 'inbound', ?, ?, ?, 'received') on conflict (wamid) do nothing")
  const commit = db.transaction((group: Webhook[]) => {
    const now = new Date().toISOString()
    for (const w of group) journal.run(now, w.sha256, journalContent(w))
    for (const [waId, c] of contactsOf(group)) {
      const { id: contactId } = contact.get(lookupOf(waId), stored(waId, c.name), SEALED ? stored(waId, waId) : null, c.at) as { id: number }
      const { id: conversationId } = conversation.get(contactId, c.at) as { id: number }
      for (const m of group.flatMap((w) => w.messages)) {
        if (m.waId !== waId) continue
        const { changes, lastInsertRowid } = message.run(m.wamid, conversationId, m.type, stored(waId, m.body), m.at)
        if (changes === 1) for (const t of termsOf(m)) term.run(t, lastInsertRowid)
      }
    }
    for (const k of takeNewKeys()) dataKey.run(k.waKey, k.wrapped)
  })
  return async (group) => commit(group)
}

async function postgresCommitter(url: string): Promise<(group: Webhook[]) => Promise<void>> {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  await pool.query(`
    create table if not exists journal (seq bigserial primary key, received_at timestamptz not null, content_sha256 text not null, content bytea not null);
    create table if not exists data_keys (wa_key text primary key, wrapped bytea not null);
    create table if not exists contacts (id bigserial primary key, wa_id text not null unique, name bytea, number bytea, last_contact_at timestamptz);
    create table if not exists conversations (id bigserial primary key, contact_id bigint not null unique references contacts(id), last_message_at timestamptz);
    create table if not exists messages (id bigserial primary key, wamid text not null unique, conversation_id bigint not null references conversations(id), direction text not null, type text not null, body bytea, timestamp timestamptz not null, status text not null);
    create index if not exists messages_conversation on messages (conversation_id, id);
    create table if not exists message_terms (term bigint not null, message_id bigint not null, primary key (term, message_id));
  `)
  // The whole group in one statement: one round trip, its own transaction, committed durably.
  const sql = `
    with j as (insert into journal (received_at, content_sha256, content) select now(), * from unnest($1::text[], $2::bytea[])),
    k as (insert into data_keys (wa_key, wrapped) select * from unnest($11::text[], $12::bytea[]) on conflict do nothing),
    c as (
      insert into contacts (wa_id, name, number, last_contact_at) select * from unnest($3::text[], $4::bytea[], $13::bytea[], $5::timestamptz[])
      on conflict (wa_id) do update set name = excluded.name, last_contact_at = greatest(contacts.last_contact_at, excluded.last_contact_at)
      returning id, wa_id, last_contact_at
    ),
    conv as (
      insert into conversations (contact_id, last_message_at) select id, last_contact_at from c order by wa_id
      on conflict (contact_id) do update set last_message_at = greatest(conversations.last_message_at, excluded.last_message_at)
      returning id, contact_id
    ),
    ins as (
      insert into messages (wamid, conversation_id, direction, type, body, timestamp, status)
      select m.wamid, conv.id, 'inbound', m.type, m.body, m.at, 'received'
      from unnest($6::text[], $7::text[], $8::text[], $9::bytea[], $10::timestamptz[]) as m(wa_key, wamid, type, body, at)
      join c on c.wa_id = m.wa_key join conv on conv.contact_id = c.id
      on conflict (wamid) do nothing
      returning id, wamid
    )
    insert into message_terms (term, message_id)
    select t.term, ins.id from unnest($14::text[], $15::bigint[]) as t(wamid, term) join ins on ins.wamid = t.wamid
    on conflict do nothing`
  const bytes = (v: string | Buffer | null) => (typeof v === 'string' ? Buffer.from(v) : v)
  return async (group) => {
    const contacts = contactsOf(group)
    const messages = group.flatMap((w) => w.messages)
    const terms = messages.flatMap((m) => termsOf(m).map((term) => [m.wamid, term] as const))
    const journal = group.map(journalContent)
    const names = contacts.map(([waId, c]) => bytes(stored(waId, c.name)))
    const numbers = contacts.map(([waId]) => (SEALED ? bytes(stored(waId, waId)) : null))
    const bodies = messages.map((m) => bytes(stored(m.waId, m.body)))
    const keys = takeNewKeys()
    await pool.query(sql, [
      group.map((w) => w.sha256),
      journal,
      contacts.map(([waId]) => lookupOf(waId)),
      names,
      contacts.map(([, c]) => c.at),
      messages.map((m) => lookupOf(m.waId)),
      messages.map((m) => m.wamid),
      messages.map((m) => m.type),
      bodies,
      messages.map((m) => m.at),
      keys.map((k) => k.waKey),
      keys.map((k) => k.wrapped),
      numbers,
      terms.map(([wamid]) => wamid),
      terms.map(([, term]) => term),
    ])
  }
}

const commit = pgUrl ? await postgresCommitter(pgUrl) : sqliteCommitter(path.join(dir!, 'minimum.sqlite'))
/** Groups in flight at once: SQLite commits on the event loop (one), PostgreSQL on two connections. */
const LANES = pgUrl ? 2 : 1
let pending: Webhook[] = []
let inFlight = 0
let scheduled = false

function flush() {
  scheduled = false
  if (pending.length === 0 || inFlight >= LANES) return
  const group = pending
  pending = []
  inFlight++
  commit(group).then(
    () => group.forEach((w) => w.done(true)),
    () => group.forEach((w) => w.done(false)),
  ).finally(() => {
    inFlight--
    schedule()
  })
}

function schedule() {
  if (scheduled) return
  scheduled = true
  setImmediate(flush)
}

serveSignedWebhooks(Number(portArg), (raw, res) => {
  let messages: Inbound[]
  try {
    messages = inboundMessages(raw)
  } catch {
    res.writeHead(400).end()
    return
  }
  pending.push({ raw, sha256: createHash('sha256').update(raw).digest('hex'), messages, done: (ok) => (ok ? res.writeHead(200).end('EVENT_RECEIVED') : res.writeHead(503).end()) })
  schedule()
})
