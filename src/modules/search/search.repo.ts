import { sql } from 'kysely'
import type { Db, Dialect } from '../../db/database.js'

/**
 * Words of a search as the index tokenises them: letters and digits, at most 8 terms. Each term
 * matches as a prefix, so that results come while typing.
 */
export function searchTerms(q: string): string[] {
  return [...new Set(q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 8)
}

/**
 * Messages whose text contains every term, newest first. SQLite: the FTS5 table (rowid order is
 * insertion order, which FTS5 walks backwards without sorting). PostgreSQL: the GIN index on the
 * generated `search` tsvector.
 */
export async function searchMessageIds(db: Db, dialect: Dialect, terms: string[], limit: number): Promise<string[]> {
  if (terms.length === 0) return []
  if (dialect === 'sqlite') {
    const match = terms.map((t) => `"${t}"*`).join(' ')
    const rows = await sql<{ message_id: string }>`select message_id from messages_fts where messages_fts match ${match} order by rowid desc limit ${limit}`.execute(db)
    return rows.rows.map((r) => r.message_id)
  }
  const query = terms.map((t) => `${t}:*`).join(' & ')
  const rows = await sql<{ id: string }>`select id from messages where search @@ to_tsquery('simple', ${query}) order by timestamp desc, id desc limit ${limit}`.execute(db)
  return rows.rows.map((r) => r.id)
}

/** Conversations whose contact's name or number contains the query. */
export function searchContacts(db: Db, q: string, limit: number) {
  const text = `%${q.toLowerCase().replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`
  const digits = q.replaceAll(/\D/g, '')
  return db
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['conversations.id as conversation_id', 'conversations.last_message_at', 'contacts.id', 'contacts.profile_name', 'contacts.wa_id', 'contacts.user_id'])
    .where((eb) => {
      const byName = sql<boolean>`lower(${eb.ref('contacts.profile_name')}) like ${text} escape '\\'`
      return digits.length >= 3 ? eb.or([byName, eb('contacts.wa_id', 'like', `%${digits}%`)]) : byName
    })
    .orderBy('conversations.last_message_at', 'desc')
    .limit(limit)
    .execute()
}
