import { type Insertable, sql } from 'kysely'
import type { DatabaseHandle } from '../src/db/database.js'
import type { ContactsTable, ConversationsTable } from '../src/db/schema.js'
import type { MessageVault, StoredMessage } from '../src/modules/inbox/message-vault.js'
import { newId } from '../src/platform/ids.js'

// Words of a service inbox; every message draws 5–12 of them, so searches hit realistic numbers of rows.
const WORDS = (
  'hallo guten tag danke bitte bestellung lieferung paket rechnung rücksendung umtausch termin frage antwort kunde ' +
  'nummer adresse zahlung überweisung gutschein rabatt angebot preis größe farbe verfügbar morgen heute gestern woche ' +
  'problem defekt kaputt reparatur garantie service team vielen dank grüße freundlichen bestätigung storno abholung filiale'
).split(' ')

/** A deterministic pseudo-random generator, so every run seeds the same data. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
}

/**
 * Seeds `conversations` conversations with `perConversation` messages each (contacts included),
 * in transactions of a few thousand rows. Times spread over the last 90 days.
 */
export async function seedInbox(handle: DatabaseHandle, vault: MessageVault, o: { conversations: number; perConversation: number; channelId: string; log?: (s: string) => void }) {
  const { db } = handle
  const random = rng(42)
  const now = Date.now()
  const iso = (ms: number) => new Date(ms).toISOString()
  await db.insertInto('channels').values({ id: o.channelId, waba_id: 'bench', display_phone_number: null, paused_reason: null, paused_at: null, created_at: iso(now), updated_at: iso(now) }).onConflict((oc) => oc.column('id').doNothing()).execute()
  const batch = 500
  for (let start = 0; start < o.conversations; start += batch) {
    const contacts: Insertable<ContactsTable>[] = []
    const conversations: Insertable<ConversationsTable>[] = []
    const messages: { row: StoredMessage; contactId: string }[] = []
    for (let i = start; i < Math.min(o.conversations, start + batch); i++) {
      const contactId = newId()
      const conversationId = newId()
      const last = now - Math.floor(random() * 90 * 86_400_000)
      const first = last - perConversationSpan(o.perConversation)
      contacts.push({ id: contactId, wa_id: `49151${String(i).padStart(8, '0')}`, user_id: null, profile_name: `Kunde ${i}`, first_contact_at: iso(first), last_contact_at: iso(last), created_at: iso(first), updated_at: iso(last) })
      // A third of the customers wait for an answer ("longest waiting first" and the overdue view read them).
      const awaiting = i % 3 === 0 ? iso(last) : null
      conversations.push({ id: conversationId, contact_id: contactId, channel_id: o.channelId, status: 'open' as const, assignee_id: null, last_message_at: iso(last), last_inbound_at: iso(last), awaiting_reply_since: awaiting, created_at: iso(first), updated_at: iso(last) })
      for (let m = 0; m < o.perConversation; m++) {
        const at = iso(first + m * 60_000)
        const words = Array.from({ length: 5 + Math.floor(random() * 8) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
        const inbound = m % 2 === 0
        messages.push({ contactId, row: {
          id: newId(), conversation_id: conversationId, wamid: `wamid.bench-${i}-${m}`, direction: inbound ? ('inbound' as const) : ('outbound' as const), type: 'text',
          status: inbound ? ('received' as const) : ('read' as const), timestamp: at, content: JSON.stringify({ type: 'text', text: { body: words } }), key_id: null,
          context_wamid: null, error_code: null, error_title: null, error_detail: null, sent_by: null, journal_seq: null, created_at: at, updated_at: at,
        } })
      }
    }
    await db.transaction().execute(async (trx) => {
      // Names and numbers sealed and indexed as the app stores them, too.
      for (const c of contacts) {
        const name = c.profile_name ?? null
        await vault.details.enter(trx, c.id, { name, waId: c.wa_id ?? null })
        Object.assign(c, { profile_name: await vault.details.seal(trx, c.id, name), ...(await vault.details.identifiers(trx, c.id, { waId: c.wa_id, userId: null })) })
      }
      await trx.insertInto('contacts').values(contacts).execute()
      await trx.insertInto('conversations').values(conversations).execute()
      // Sealed and indexed as the app stores them (encryption at rest, blind index).
      await vault.insert(trx, messages)
    })
    if ((start / batch) % 10 === 0) o.log?.(`  seeded ${start + contacts.length} conversations`)
  }
  // Fresh statistics, as autovacuum would gather them on a live system.
  await sql`analyze`.execute(db)
}

const perConversationSpan = (n: number) => n * 60_000
