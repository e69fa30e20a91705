import { type ExpressionBuilder, sql } from 'kysely'
import type { Db, Dialect } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { fold } from './fold.js'

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
  const query = terms.map((t) => `${fold(t)}:*`).join(' & ')
  // Common words: walking the newest messages and testing each stored tsvector finds enough hits
  // within a bounded number of rows, where the GIN index would read huge posting lists and sort.
  const recent = await sql<{ id: string }>`select id from (select id, timestamp, search from messages order by timestamp desc, id desc limit ${RECENT_WINDOW}) r
    where search @@ to_tsquery('simple', ${query}) order by timestamp desc, id desc limit ${limit}`.execute(db)
  if (recent.rows.length >= limit) return recent.rows.map((r) => r.id)
  // Rare words: the GIN index. Materialized so the planner cannot turn it back into a walk by time.
  const all = await sql<{ id: string }>`with hits as materialized (select id, timestamp from messages where search @@ to_tsquery('simple', ${query}))
    select id from hits order by timestamp desc, id desc limit ${limit}`.execute(db)
  return all.rows.map((r) => r.id)
}

/** How many of the newest messages the PostgreSQL search tests before it asks the GIN index. */
const RECENT_WINDOW = 50_000

/**
 * Conversations whose contact's name or number contains the query, most recent first. Few matching
 * contacts (the usual case: a name, a number): match the contacts, then fetch their conversations.
 * Many (a common part of names): walk conversations by activity, where matches come early.
 */
export async function searchContacts(db: Db, q: string, limit: number) {
  // Accents and case are ignored on both sides ("muller" finds "Müller"), as in message search.
  const text = `%${fold(q).replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`
  const digits = q.replaceAll(/\D/g, '')
  const matches = (eb: ExpressionBuilder<Database, 'contacts'>) => {
    // `search_name`: the folded name the database keeps (migration …2000_contact_search_name); not in the row types, the app never writes it.
    const byName = sql<boolean>`${sql.ref('contacts.search_name')} like ${text} escape '\\'`
    const found = digits.length >= 3 ? eb.or([byName, eb('contacts.wa_id', 'like', `%${digits}%`)]) : byName
    return eb.and([found, eb('contacts.restricted_at', 'is', null)])
  }
  const contacts = await db.selectFrom('contacts').select('id').where(matches).limit(MANY_CONTACTS).execute()
  if (contacts.length === 0) return []
  const few = contacts.length < MANY_CONTACTS
  // With many matches, only the most recently active conversations are looked at (a bounded walk).
  const candidates = few
    ? db.selectFrom('conversations').selectAll().where('contact_id', 'in', contacts.map((c) => c.id))
    : db.selectFrom('conversations').selectAll().orderBy('last_message_at', 'desc').limit(RECENT_CONVERSATIONS)
  return db
    .selectFrom(candidates.as('conversations'))
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['conversations.id as conversation_id', 'conversations.last_message_at', 'conversations.assignee_id', 'contacts.id', 'contacts.wa_id', 'contacts.user_id'])
    .select((eb) => eb.fn.coalesce('contacts.name_override', 'contacts.profile_name').as('profile_name'))
    .where(matches)
    .orderBy('conversations.last_message_at', 'desc')
    .limit(limit)
    .execute()
}

const RECENT_CONVERSATIONS = 2000

const MANY_CONTACTS = 200
