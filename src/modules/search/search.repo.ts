import { type ExpressionBuilder, sql } from 'kysely'
import type { Db, Executor } from '../../db/database.js'
import type { Database } from '../../db/schema.js'
import { messageText } from '../inbox/message-text.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { ContactDetails } from '../contacts/contact-details.js'
import { BlindIndex } from './blind-index.js'

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

/** Rows with the contact's details opened and `profile_name` replaced by the shown name (a rectified one wins). */
async function withContactDetails<T extends { contact_id: string; wa_id: string | null; profile_name: string | null; name_override: string | null }>(db: Executor, vault: MessageVault, rows: T[]): Promise<T[]> {
  return (await vault.details.openRows(db, rows, (r) => r.contact_id)).map((r) => ({ ...r, profile_name: r.name_override ?? r.profile_name }))
}

const hitRows = (db: Executor, ids: string[]) =>
  db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['messages.id', 'messages.conversation_id', 'messages.direction', 'messages.type', 'messages.timestamp', 'messages.content', 'messages.key_id'])
    .select(['contacts.id as contact_id', 'contacts.wa_id', 'conversations.assignee_id', 'contacts.profile_name', 'contacts.name_override'])
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
    const byId = new Map((await withContactDetails(db, vault, await vault.open(db, await hitRows(db, ids)))).map((r) => [r.id, r]))
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
 * Conversations whose contact's name has words starting with the query's, or whose number ends with
 * its digits, most recent first. Few matching
 * contacts (the usual case: a name, a number): match the contacts, then fetch their conversations.
 * Many (a common part of names): walk conversations by activity, where matches come early.
 */
export async function searchContacts(db: Db, vault: MessageVault, q: string, limit: number) {
  // Names are found by the words of the shown name (accents, case and ß folded, as in message
  // search), numbers by their ending: the blind index names candidates, each confirmed against
  // the opened details.
  const terms = searchTerms(q)
  const endings = ContactDetails.numberEndings(q)
  const matches = (eb: ExpressionBuilder<Database, 'contacts'>) => {
    const byName = terms.length ? eb('contacts.id', 'in', vault.details.matching(db, terms)) : sql<boolean>`1 = 0`
    const found = endings.length ? eb.or([byName, eb('contacts.id', 'in', vault.details.numberMatching(db, endings))]) : byName
    return eb.and([found, eb('contacts.restricted_at', 'is', null)])
  }
  const contacts = await db.selectFrom('contacts').select('id').where(matches).limit(MANY_CONTACTS).execute()
  if (contacts.length === 0) return []
  const few = contacts.length < MANY_CONTACTS
  // With many matches, only the most recently active conversations are looked at (a bounded walk).
  const candidates = few
    ? db.selectFrom('conversations').selectAll().where('contact_id', 'in', contacts.map((c) => c.id))
    : db.selectFrom('conversations').selectAll().orderBy('last_message_at', 'desc').limit(RECENT_CONVERSATIONS)
  const rows = await db
    .selectFrom(candidates.as('conversations'))
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['conversations.id as conversation_id', 'conversations.last_message_at', 'conversations.assignee_id', 'contacts.id', 'contacts.wa_id', 'contacts.user_id', 'contacts.profile_name', 'contacts.name_override'])
    .where(matches)
    .orderBy('conversations.last_message_at', 'desc')
    .execute()
  const found = []
  for (const r of await withContactDetails(db, vault, rows.map((r) => ({ ...r, contact_id: r.id })))) {
    // The index holds prefixes of at most 6 letters and cut hashes: confirmed here. A number match needs no name.
    if (endings.some((e) => r.wa_id?.endsWith(e)) || BlindIndex.confirms(r.profile_name, terms)) found.push(r)
    if (found.length === limit) break
  }
  return found
}

const RECENT_CONVERSATIONS = 2000

const MANY_CONTACTS = 200
