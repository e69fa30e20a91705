import { type ExpressionBuilder, sql } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { messageText } from '../inbox/message-text.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { BlindIndex } from './blind-index.js'
import { fold } from './fold.js'

/**
 * Words of a search: letters and digits, at most 8 terms. A term of three letters or more matches
 * the start of a word, so that results come while typing; a shorter one matches a whole word.
 */
export function searchTerms(q: string): string[] {
  return [...new Set(q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 8)
}

/** How many index candidates a search confirms at most before it answers with what it found. */
const MAX_CANDIDATES = 5000

export type MessageHit = Awaited<ReturnType<typeof hitRows>>[number]

const hitRows = (db: Executor, ids: string[]) =>
  db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['messages.id', 'messages.conversation_id', 'messages.direction', 'messages.type', 'messages.timestamp', 'messages.content', 'messages.key_id'])
    .select(['contacts.id as contact_id', 'contacts.wa_id', 'conversations.assignee_id'])
    .select((eb) => eb.fn.coalesce('contacts.name_override', 'contacts.profile_name').as('profile_name'))
    .where('messages.id', 'in', ids)
    .where('contacts.restricted_at', 'is', null)
    .execute()

/**
 * Messages whose text has a word starting with every term, newest first, opened. The blind index
 * names candidates a page at a time; each is opened and confirmed against its text (the index
 * holds prefixes of at most 6 letters and cut hashes). `visible` drops what the asker may not see
 * before it counts towards the limit.
 */
export async function searchMessages(db: Executor, vault: MessageVault, terms: string[], o: { limit: number; visible?: (hit: MessageHit) => boolean }): Promise<MessageHit[]> {
  if (terms.length === 0) return []
  const found: MessageHit[] = []
  const page = Math.max(o.limit * 2, 100)
  let before: string | undefined
  for (let scanned = 0; found.length < o.limit && scanned < MAX_CANDIDATES; scanned += page) {
    const ids = await vault.index.candidates(db, terms, { before, limit: page })
    if (ids.length === 0) break
    before = ids.at(-1)
    const byId = new Map((await vault.open(db, await hitRows(db, ids))).map((r) => [r.id, r]))
    for (const id of ids) {
      const hit = byId.get(id)
      if (hit && (o.visible?.(hit) ?? true) && BlindIndex.confirms(messageText(hit.type, hit.content), terms)) found.push(hit)
      if (found.length === o.limit) break
    }
    if (ids.length < page) break
  }
  return found
}

/**
 * Conversations whose contact's name or number contains the query, most recent first. Few matching
 * contacts (the usual case: a name, a number): match the contacts, then fetch their conversations.
 * Many (a common part of names): walk conversations by activity, where matches come early.
 */
export async function searchContacts(db: Db, q: string, limit: number) {
  // Accents and case are ignored on both sides ("muller" finds "Müller"), and ß is ss, as in message search.
  const text = `%${fold(q).replaceAll('ß', 'ss').replaceAll(/[\\%_]/g, (c) => `\\${c}`)}%`
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
