import { createCipheriv, createDecipheriv } from 'node:crypto'
import { CompiledQuery, PostgresAdapter } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import type { NewMessage } from '../../db/schema.js'
import { inChunks } from '../../platform/chunks.js'
import type { SecretBox } from '../../platform/crypto/secret-box.js'
import { pooledRandom } from '../../platform/crypto/random-pool.js'
import type { DataKeys } from '../archive/data-keys.js'
import { localYear } from '../privacy/deadlines.js'
import { BlindIndex } from '../search/blind-index.js'
import { ContactDetails, contentIdentity } from '../contacts/contact-details.js'
import { messageText } from './message-text.js'
import { insertStatements } from '../../db/insert-rows.js'

export { contentIdentity }

/** What a sealed content looks like in `messages.content`: `m1:` + base64(iv ‖ tag ‖ ciphertext). */
const PREFIX = 'm1:'

/** The content of a message whose key was destroyed (crypto-shredded): nothing to show. */
export const SHREDDED_CONTENT = '{}'

export type StoredMessage = NewMessage & { id: string }

/**
 * A stored content as written; undefined when its key was destroyed. Throws when the ciphertext
 * was changed (the verifier reports it). Plain contents from before sealing come back as they are.
 */
export async function openContent(db: Executor, keys: Pick<DataKeys, 'key'>, m: { id: string; content: string; key_id: string | null }): Promise<string | undefined> {
  if (m.key_id === null || !m.content.startsWith(PREFIX)) return m.content
  const key = await keys.key(db, m.key_id)
  if (!key) return undefined
  const raw = Buffer.from(m.content.slice(PREFIX.length), 'base64')
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(`message:${m.id}`))
  d.setAuthTag(raw.subarray(12, 28))
  return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')
}

/**
 * Message contents at rest (GDPR-32, crypto-shredding): every content is encrypted (AES-256-GCM)
 * with its contact's data key for the message's year, bound to the message id, and entered into
 * the blind index for search. Contents are opened here and nowhere else; once a key is destroyed
 * (erasure, end of retention) its contents read as empty everywhere, in backups too. Rows from
 * before this scheme (plain JSON, no key) are read as they are until the start-up pass seals them.
 */
export class MessageVault {
  readonly index: BlindIndex
  /** The contacts' names and numbers, sealed alike (encryption at rest of contact details). */
  readonly details: ContactDetails

  constructor(
    private readonly keys: DataKeys,
    box: SecretBox,
  ) {
    this.index = new BlindIndex(box.deriveKey('postfach:search-terms:v1'))
    this.details = new ContactDetails(keys, box)
  }

  /** Seals contents (in the caller's transaction, which makes missing keys). */
  async seal(tx: Executor, items: { id: string; contactId: string; timestamp: string; content: string }[]): Promise<{ content: string; key_id: string }[]> {
    const periodOf = (m: { timestamp: string }) => localYear(m.timestamp)
    // The keys a batch lacks are made in one statement per year (a campaign to thousands of new contacts).
    const byPeriod = new Map<string, string[]>()
    for (const m of items) {
      const list = byPeriod.get(periodOf(m)) ?? []
      list.push(contentIdentity(m.contactId))
      byPeriod.set(periodOf(m), list)
    }
    if (items.length > 1) for (const [period, identities] of byPeriod) await inChunks([...new Set(identities)], (chunk) => this.keys.keysFor(tx, chunk, period), 1000)
    const out: { content: string; key_id: string }[] = []
    for (const m of items) {
      const [key] = await this.keys.keysFor(tx, [contentIdentity(m.contactId)], periodOf(m))
      const iv = pooledRandom(12)
      const c = createCipheriv('aes-256-gcm', key!.key, iv).setAAD(Buffer.from(`message:${m.id}`))
      const body = Buffer.concat([c.update(m.content, 'utf8'), c.final()])
      out.push({ content: PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64'), key_id: key!.id })
    }
    return out
  }

  /** The rows with their contents opened (new objects; the inputs stay as they are). */
  async open<T extends { id: string; content: string; key_id: string | null }>(db: Executor, rows: T[]): Promise<T[]> {
    const out: T[] = []
    for (const r of rows) out.push(r.key_id === null ? r : { ...r, content: (await openContent(db, this.keys, r)) ?? SHREDDED_CONTENT })
    return out
  }

  async openOne<T extends { id: string; content: string; key_id: string | null }>(db: Executor, row: T | undefined): Promise<T | undefined> {
    return row ? (await this.open(db, [row]))[0] : undefined
  }

  /**
   * Stores new messages sealed and indexed, in the caller's transaction. A message whose wamid is
   * stored already is skipped (Meta redelivers). Returns the ids that were inserted.
   */
  async insert(tx: Executor, items: { row: StoredMessage; contactId: string }[]): Promise<Set<string>> {
    if (items.length === 0) return new Set()
    const sealed = await this.seal(tx, items.map(({ row, contactId }) => ({ id: row.id, contactId, timestamp: row.timestamp, content: row.content })))
    const rows = items.map(({ row }, i) => ({ ...row, ...sealed[i]! }))
    const texts = items.map(({ row }) => ({ messageId: row.id, text: messageText(row.type, row.content) }))
    const postgres = tx.getExecutor().adapter instanceof PostgresAdapter
    const statements = insertStatements('messages', rows, 'on conflict ("wamid") do nothing returning "id"', postgres)
    if (postgres && statements.length === 1) return this.insertWithTerms(tx, statements[0]!, texts)
    const inserted = new Set<string>()
    for (const statement of statements) for (const r of (await tx.executeQuery<{ id: string }>(statement)).rows) inserted.add(r.id)
    await this.index.add(tx, texts.filter((t) => inserted.has(t.messageId)))
    return inserted
  }

  /**
   * PostgreSQL: the messages and their index rows in one statement (one round trip less per group
   * of webhooks). The terms go in only for the messages the insert took (a redelivered wamid is
   * skipped), read from the insert's RETURNING.
   */
  private async insertWithTerms(tx: Executor, messages: CompiledQuery, texts: { messageId: string; text: string | null }[]): Promise<Set<string>> {
    const terms = this.index.rowsOf(texts)
    const n = messages.parameters.length
    const query = CompiledQuery.raw(
      `with inserted as (${messages.sql}), terms as (insert into "message_terms" ("term", "message_id") select t.term, t.message_id from unnest($${n + 1}::bigint[], $${n + 2}::text[]) as t(term, message_id) where t.message_id in (select "id" from inserted) on conflict do nothing) select "id" from inserted`,
      [...messages.parameters, terms.map((t) => t.term), terms.map((t) => t.message_id)],
    )
    return new Set((await tx.executeQuery<{ id: string }>(query)).rows.map((r) => r.id))
  }
}

/**
 * Seals and indexes the contents stored before encryption at rest (an upgraded installation): in
 * batches, each in its own transaction, walking the messages by id once. Returns how many.
 */
export async function sealStoredContents(db: Db, vault: MessageVault, batch = 500): Promise<number> {
  let sealed = 0
  let after = ''
  for (;;) {
    const rows = await db.transaction().execute(async (tx) => {
      const plain = await tx
        .selectFrom('messages')
        .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
        .select(['messages.id', 'messages.type', 'messages.timestamp', 'messages.content', 'conversations.contact_id'])
        .where('messages.id', '>', after)
        .where('messages.key_id', 'is', null)
        .orderBy('messages.id')
        .limit(batch)
        .execute()
      const done = await vault.seal(tx, plain.map((m) => ({ id: m.id, contactId: m.contact_id, timestamp: m.timestamp, content: m.content })))
      for (const [i, m] of plain.entries()) await tx.updateTable('messages').set(done[i]!).where('id', '=', m.id).where('key_id', 'is', null).execute()
      await vault.index.add(tx, plain.map((m) => ({ messageId: m.id, text: messageText(m.type, m.content) })))
      return plain
    })
    sealed += rows.length
    if (rows.length < batch) return sealed
    after = rows.at(-1)!.id
  }
}
