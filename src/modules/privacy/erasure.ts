import type { Db, Executor } from '../../db/database.js'
import type { RetentionClass } from '../../db/schema.js'
import { inChunks } from '../../platform/chunks.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'
import type { Suppressions } from '../consent/consent.repo.js'
import type { ContactDetails } from '../contacts/contact-details.js'
import type { DataKeys } from '../archive/data-keys.js'
import { contentIdentity } from '../inbox/message-vault.js'
import { activeHoldsFor, holdsCovering } from '../archive/holds.js'
import { audit } from './audit.js'
import { appendEntries } from '../journal/journal.repo.js'
import type { Integrations } from '../integrations/integrations.js'

type Notifier = Pick<Integrations, 'notify'>
import { type RetentionSettings, retainedUntil, retentionYears } from './retention-settings.js'

const TAX_CLASSES: RetentionClass[] = ['handelsbrief', 'buchungsbeleg', 'buch']

/** What an erasure did, without personal data: the receipt and the basis of the answer letter. */
export type ErasureSummary = {
  erased: { messages: number; conversations: number; notes: number; labels: number; media: number; name: boolean; number: boolean }
  /** Kept under a retention duty and restricted (Art. 17(3)(b), Art. 18), per class, until the date given. */
  retained: { dataClass: RetentionClass; messages: number; until: string }[]
  /** Kept as proof and to honour the objection: consent evidence (restricted) and the suppression entry. */
  kept: { consentEvents: number; suppressed: boolean }
  /** Kept, restricted, because a legal hold covers them (GOBD-10, Art. 17(3)(e)): until it is released. */
  held: { messages: number; holds: string[] }
}

/** The class a message is kept under: its own, marketing for consent-based sends, else its conversation's or the default. */
export function classOf(m: { retention_class: RetentionClass | null; purpose: string | null }, conversationClass: RetentionClass | null, defaultClass: RetentionClass): RetentionClass {
  return m.retention_class ?? (m.purpose ? 'marketing' : (conversationClass ?? defaultClass))
}

/**
 * Erases a person as far as the law allows (GDPR-17, compliance 1.5), in the caller's transaction:
 * - deleted at once: messages without a retention duty (marketing, none) with their statuses and
 *   media, every note, label and notification on their conversations, conversations left empty;
 * - restricted: messages under tax retention stay, hidden from agents, until the end of their
 *   retention (31 Dec of the year + the class's years); the contact is marked restricted with that date;
 * - kept: consent evidence (restricted, Art. 17(3)(e)) and a suppression entry so that the person
 *   is not contacted again (Art. 21(3)).
 * Returns the summary for the receipt and the letter; the media files to delete after commit.
 */
export async function eraseContact(
  tx: Executor,
  o: { contactId: string; retention: RetentionSettings; suppressions: Suppressions; keys: DataKeys; details: ContactDetails; now?: string; retentionEnded?: boolean; integrations?: Notifier | undefined },
): Promise<{ summary: ErasureSummary; orphanedMedia: string[]; shreddedKeys: string[] }> {
  const now = o.now ?? nowIso()
  const contact = await o.details.openRow(tx, await tx.selectFrom('contacts').selectAll().where('id', '=', o.contactId).executeTakeFirstOrThrow())
  const conversations = await tx.selectFrom('conversations').select(['id', 'retention_class']).where('contact_id', '=', contact.id).execute()
  const conversationIds = conversations.map((c) => c.id)
  const classById = new Map(conversations.map((c) => [c.id, c.retention_class]))
  const messages = conversationIds.length
    ? await tx.selectFrom('messages').select(['id', 'conversation_id', 'wamid', 'timestamp', 'purpose', 'retention_class']).where('conversation_id', 'in', conversationIds).execute()
    : []

  const erase: typeof messages = []
  const retained = new Map<RetentionClass, { messages: number; until: string }>()
  const holds = await activeHoldsFor(tx, contact.id, conversationIds)
  const held = { messages: 0, holds: new Set<string>() }
  for (const m of messages) {
    const covering = holdsCovering(holds, m, contact.id)
    if (covering.length) {
      held.messages++
      for (const h of covering) held.holds.add(h.id)
      continue
    }
    const cls = classOf(m, classById.get(m.conversation_id) ?? null, o.retention.defaultClass)
    if (!TAX_CLASSES.includes(cls) || o.retentionEnded) {
      erase.push(m)
      continue
    }
    const until = retainedUntil(m.timestamp, retentionYears(o.retention, cls))
    const r = retained.get(cls) ?? { messages: 0, until }
    r.messages++
    if (until > r.until) r.until = until
    retained.set(cls, r)
  }

  // Media of erased inbound messages (our copy has the message's id); bytes go after commit if no other row needs them.
  const eraseIds = erase.map((m) => m.id)
  const media: { id: string; sha256: string | null }[] = []
  await inChunks(eraseIds, async (ids) => media.push(...(await tx.selectFrom('media').select(['id', 'sha256']).where('id', 'in', ids).execute())))
  await inChunks(media.map((m) => m.id), (ids) => tx.deleteFrom('media').where('id', 'in', ids).execute())
  const shas = [...new Set(media.flatMap((m) => (m.sha256 ? [m.sha256] : [])))]
  const stillUsed = new Set<string>()
  await inChunks(shas, async (s) => (await tx.selectFrom('media').select('sha256').where('sha256', 'in', s).execute()).forEach((r) => r.sha256 && stillUsed.add(r.sha256)))

  await inChunks(erase.flatMap((m) => (m.wamid ? [m.wamid] : [])), (w) => tx.deleteFrom('message_statuses').where('wamid', 'in', w).execute())
  // A queued send of an erased message finds no message and ends (the worker completes such jobs).
  await inChunks(eraseIds, (ids) => tx.deleteFrom('messages').where('id', 'in', ids).execute())

  let notes = 0
  let labels = 0
  if (conversationIds.length) {
    await tx.deleteFrom('notifications').where('conversation_id', 'in', conversationIds).execute()
    notes = Number((await tx.deleteFrom('notes').where('conversation_id', 'in', conversationIds).executeTakeFirst()).numDeletedRows)
    labels = Number((await tx.deleteFrom('conversation_labels').where('conversation_id', 'in', conversationIds).executeTakeFirst()).numDeletedRows)
  }
  // Conversations with nothing left go entirely.
  const erased = new Set(eraseIds)
  const keptConversations = new Set(messages.filter((m) => !erased.has(m.id)).map((m) => m.conversation_id))
  const emptied = conversationIds.filter((id) => !keptConversations.has(id))
  if (emptied.length) {
    await tx.deleteFrom('automation_sends').where('conversation_id', 'in', emptied).execute()
    await tx.deleteFrom('conversation_resolutions').where('conversation_id', 'in', emptied).execute()
    await tx.deleteFrom('conversations').where('id', 'in', emptied).execute()
  }

  // Consent evidence: the ledger's events and any existing-customer basis (§ 7(3) UWG) sends rested on.
  const countOf = async (table: 'consent_events' | 'existing_customer_bases') => Number((await tx.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('contact_id', '=', contact.id).executeTakeFirstOrThrow()).n)
  const consentEvents = (await countOf('consent_events')) + (await countOf('existing_customer_bases'))
  if (contact.wa_id) await o.suppressions.add(tx, contact.wa_id, 'erasure request', now)

  const retainedList = [...retained].map(([dataClass, r]) => ({ dataClass, ...r }))
  // Held data has no end date: the person is looked at again every day until the hold is released.
  const today = now.slice(0, 10)
  const eraseAfter = retainedList.reduce<string | null>((max, r) => (max === null || r.until > max ? r.until : max), held.messages ? today : null)
  let shreddedKeys: string[] = []
  if (eraseAfter) {
    // Under retention the person stays identifiable to the auditor only (Art. 18); their keys must
    // stay too (GOBD-16), so shredding waits, and the log says why (SHRED-2).
    await audit(tx, undefined, { action: 'archive.shred_refused', target: `contact:${contact.id}`, contactId: contact.id, detail: { until: eraseAfter, held: held.holds, retained: retainedList.map((r) => r.dataClass) } })
    await tx.updateTable('contacts').set({ restricted_at: now, restriction_reason: held.messages ? 'legal-hold' : 'retention', erase_after: eraseAfter, updated_at: now }).where('id', '=', contact.id).execute()
  } else {
    // Nothing left to keep: the person's data keys go, and with them every sealed copy of their
    // messages — in the journal, the inbox's stored contents, backups and replicas (crypto-shredding, SHRED-1).
    shreddedKeys = await o.keys.liveKeysOf(tx, [...identitiesOf(contact), contentIdentity(contact.id)])
    await o.keys.destroy(tx, shreddedKeys, o.retentionEnded ? 'retention ended' : 'erasure request', contact.id)
    await tx.deleteFrom('contact_corrections').where('contact_id', '=', contact.id).execute()
    await tx.deleteFrom('contact_terms').where('contact_id', '=', contact.id).execute()
    // Consent evidence stays, restricted, for the tail after its last use (UWG-7a), then goes too.
    const evidenceUntil = consentEvents ? await consentEvidenceUntil(tx, contact, o.retention.consentEvidenceYears) : null
    await tx
      .updateTable('contacts')
      .set({ wa_id: null, wa_key: null, user_id: null, user_key: null, profile_name: null, name_override: null, erased_at: now, erase_after: evidenceUntil, restricted_at: consentEvents ? now : null, restriction_reason: consentEvents ? 'consent-evidence' : null, updated_at: now })
      .where('id', '=', contact.id)
      .execute()
  }
  // GDPR-19: the integrations hear of it in this transaction (durably queued, sent after commit).
  await o.integrations?.notify(tx, { event: eraseAfter ? 'contact.restricted' : 'contact.erased', contact: { id: contact.id, waId: contact.wa_id }, occurredAt: now, ...(eraseAfter ? { detail: { until: eraseAfter } } : {}) })
  return {
    summary: {
      erased: { messages: erase.length, conversations: emptied.length, notes, labels, media: media.length, name: !eraseAfter, number: !eraseAfter },
      retained: retainedList,
      kept: { consentEvents, suppressed: contact.wa_id !== null },
      held: { messages: held.messages, holds: [...held.holds] },
    },
    orphanedMedia: shas.filter((s) => !stillUsed.has(s)),
    shreddedKeys,
  }
}

/** The identities a contact's data keys are made for. */
const identitiesOf = (c: { wa_id: string | null; user_id: string | null }) => [c.wa_id, c.user_id].filter((v): v is string => Boolean(v))

/**
 * The receipt, and its entry in the archive's log: which media files the erasure destroys (so the
 * verifier expects them gone) and the counts, never who it was about (SHRED-4).
 */
export async function writeErasureReceipt(tx: Executor, r: { contactId: string; dsrId: string | null; summary: ErasureSummary; by: string | null; media: string[]; shreddedKeys: string[] }): Promise<string> {
  const id = newId()
  await tx.insertInto('erasure_receipts').values({ id, contact_id: r.contactId, dsr_id: r.dsrId, summary: JSON.stringify(r.summary), created_by: r.by, created_at: nowIso() }).execute()
  await appendEntries(tx, 'archive.erasure', [Buffer.from(JSON.stringify({ receipt: id, erased: r.summary.erased, media: r.media, shreddedKeys: r.shreddedKeys }))])
  return id
}

const CLASS_DE: Record<RetentionClass, string> = {
  handelsbrief: 'Handelsbriefe (§ 257 Abs. 1 Nr. 2, 3 HGB, § 147 Abs. 1 Nr. 2, 3 AO)',
  buchungsbeleg: 'Buchungsbelege (§ 147 Abs. 1 Nr. 4 AO)',
  buch: 'Bücher und Aufzeichnungen (§ 147 Abs. 1 Nr. 1 AO)',
  marketing: 'Werbung',
  none: 'ohne Aufbewahrungspflicht',
}

const dateDe = (d: string) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`

/** The answer to the person (Art. 12(1), 17, 18): what was deleted, what is kept, why and until when. */
export function erasureLetter(s: ErasureSummary, company: string | null): string {
  const lines = [
    'Ihr Antrag auf Löschung Ihrer Daten (Art. 17 DSGVO)',
    '',
    `Wir haben gelöscht: ${s.erased.messages} Nachrichten ohne Aufbewahrungspflicht, ${s.erased.media} Mediendateien, ${s.erased.notes} interne Notizen und ${s.erased.labels} Zuordnungen${s.erased.name ? ' sowie Ihren Namen und Ihre Telefonnummer' : ''}.`,
  ]
  if (s.retained.length) {
    lines.push('', 'Folgende Daten müssen wir wegen gesetzlicher Aufbewahrungspflichten noch aufbewahren (Art. 17 Abs. 3 lit. b DSGVO). Sie sind bis dahin gesperrt (Art. 18 DSGVO) und nur noch für Prüfungen zugänglich; danach löschen wir sie:')
    for (const r of s.retained) lines.push(`- ${r.messages} Nachrichten: ${CLASS_DE[r.dataClass]}, aufzubewahren bis ${dateDe(r.until)}`)
  }
  if (s.held.messages) lines.push('', `${s.held.messages} Nachrichten bewahren wir gesperrt auf, solange eine rechtliche Aufbewahrungspflicht besteht (laufende Prüfung oder Rechtsstreit, Art. 17 Abs. 3 lit. e DSGVO); danach löschen wir sie ohne weiteren Antrag.`)
  if (s.kept.consentEvents) lines.push('', `Den Nachweis Ihrer Einwilligungen und Widerrufe (${s.kept.consentEvents} Einträge) bewahren wir gesperrt auf, um die Rechtmäßigkeit früherer Nachrichten belegen zu können (Art. 7 Abs. 1, Art. 17 Abs. 3 lit. e DSGVO).`)
  if (s.kept.suppressed) lines.push('', 'Damit wir Ihnen keine Werbung mehr senden, steht ein nicht umkehrbarer Prüfwert Ihrer Nummer auf unserer Sperrliste.')
  lines.push('', 'Sie haben das Recht, sich bei einer Datenschutz-Aufsichtsbehörde zu beschweren (Art. 77 DSGVO).', '', company ?? '')
  return lines.join('\n').trim()
}

/**
 * The end of restriction: people whose retention ended (erase_after before today) are erased
 * completely, each with a receipt (GDPR-5 storage limitation, GDPR-17 step 3).
 */
/**
 * The last day consent evidence must be kept: the configured years after its last use — the later
 * of the last consent event, the last consent-based send (kept on the contact, as the sends
 * themselves may be gone) and, conservatively, the last contact with the person.
 */
async function consentEvidenceUntil(tx: Executor, contact: { id: string; last_contact_at: string; consent_used_at: string | null }, years: number): Promise<string> {
  const lastEvent = (await tx.selectFrom('consent_events').select((eb) => eb.fn.max('occurred_at').as('at')).where('contact_id', '=', contact.id).executeTakeFirst())?.at ?? ''
  const last = new Date([lastEvent, contact.consent_used_at ?? '', contact.last_contact_at].reduce((a, b) => (b > a ? b : a)))
  last.setUTCFullYear(last.getUTCFullYear() + years)
  return last.toISOString().slice(0, 10)
}

/** Erased people whose consent evidence has outlived its tail (UWG-7a): the evidence is deleted, and nothing of them is left restricted. */
export async function expireConsentEvidence(db: Db, today: string): Promise<number> {
  const due = await db.selectFrom('contacts').select('id').where('erased_at', 'is not', null).where('restriction_reason', '=', 'consent-evidence').where('erase_after', '<', today).execute()
  for (const c of due) {
    await db.transaction().execute(async (tx) => {
      const events = Number((await tx.deleteFrom('consent_events').where('contact_id', '=', c.id).executeTakeFirst()).numDeletedRows)
      await tx.deleteFrom('existing_customer_bases').where('contact_id', '=', c.id).execute()
      await tx.updateTable('contacts').set({ restricted_at: null, restriction_reason: null, erase_after: null, updated_at: nowIso() }).where('id', '=', c.id).execute()
      await audit(tx, undefined, { action: 'consent.evidence_expired', target: `contact:${c.id}`, contactId: c.id, detail: { events } })
    })
  }
  return due.length
}

export async function eraseExpired(db: Db, o: { today: string; retention: RetentionSettings; suppressions: Suppressions; keys: DataKeys; details: ContactDetails; integrations?: Notifier | undefined }): Promise<{ contacts: number; orphanedMedia: string[] }> {
  const due = await db.selectFrom('contacts').select('id').where('restricted_at', 'is not', null).where('erased_at', 'is', null).where('erase_after', '<', o.today).execute()
  const orphanedMedia: string[] = []
  for (const c of due) {
    const media = await db.transaction().execute(async (tx) => {
      const { summary, orphanedMedia, shreddedKeys } = await eraseContact(tx, { contactId: c.id, retention: o.retention, suppressions: o.suppressions, keys: o.keys, details: o.details, retentionEnded: true, integrations: o.integrations })
      await writeErasureReceipt(tx, { contactId: c.id, dsrId: null, summary, by: null, media: orphanedMedia, shreddedKeys })
      if (summary.held.messages) await audit(tx, undefined, { action: 'archive.hold_blocked', target: `contact:${c.id}`, contactId: c.id, detail: { messages: summary.held.messages, holds: summary.held.holds } })
      return orphanedMedia
    })
    orphanedMedia.push(...media)
  }
  return { contacts: due.length, orphanedMedia }
}

/**
 * After a restore from a backup older than an erasure (SHRED-3): people whose data keys were
 * shredded are back in the database with their rows. Their keys were destroyed again by the
 * tombstone list; here their rows go again, each with a receipt saying why.
 */
export async function reshredRestored(db: Db, o: { retention: RetentionSettings; suppressions: Suppressions; keys: DataKeys; details: ContactDetails; integrations?: Notifier | undefined }): Promise<{ contacts: number; orphanedMedia: string[] }> {
  const listed = o.keys.tombstoneList().contacts
  const orphanedMedia: string[] = []
  let contacts = 0
  await inChunks(listed, async (chunk) => {
    const back = await db.selectFrom('contacts').select('id').where('id', 'in', chunk).where('erased_at', 'is', null).execute()
    for (const c of back) {
      const media = await db.transaction().execute(async (tx) => {
        const { summary, orphanedMedia, shreddedKeys } = await eraseContact(tx, { contactId: c.id, retention: o.retention, suppressions: o.suppressions, keys: o.keys, details: o.details, retentionEnded: true, integrations: o.integrations })
        await writeErasureReceipt(tx, { contactId: c.id, dsrId: null, summary, by: null, media: orphanedMedia, shreddedKeys })
        await audit(tx, undefined, { action: 'archive.reshredded', target: `contact:${c.id}`, contactId: c.id, detail: { reason: 'erased before; restored from a backup' } })
        return orphanedMedia
      })
      orphanedMedia.push(...media)
      contacts++
    }
  })
  return { contacts, orphanedMedia }
}
