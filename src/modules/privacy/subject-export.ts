import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { ConsentService } from '../consent/consent.service.js'
import { basesOf } from '../consent/existing-customer.js'
import type { MessageVault } from '../inbox/message-vault.js'
import { openCorrections } from '../contacts/contact-details.js'
import { presentWithMedia } from '../inbox/presenters.js'
import type { MediaRow } from '../../db/schema.js'
import { openNoteBodies } from '../notes/notes.repo.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings } from '../settings/settings.routes.js'

/**
 * Everything Postfach holds on one person, for access (Art. 15) and portability (Art. 20): a
 * structured, documented JSON (the schema is published at /api/privacy/export-schema.json) plus
 * the media files. Colleagues appear only as pseudonyms ("Mitarbeiter 1"), so the export does not
 * disclose other people's data (Art. 20(4)).
 */
const message = z.object({ id: z.string(), conversationId: z.string(), wamid: z.string().nullable(), direction: z.enum(['inbound', 'outbound']), type: z.string(), status: z.string(), timestamp: z.string(), sentBy: z.string().nullable() }).catchall(z.unknown())
export const subjectExportSchema = z.object({
  format: z.literal('postfach.subject-export'),
  version: z.literal(1),
  exportedAt: z.string(),
  controller: z.object({ name: z.string(), address: z.string(), email: z.string().optional() }).nullable(),
  contact: z.object({ id: z.string(), waId: z.string().nullable(), userId: z.string().nullable(), profileName: z.string().nullable(), name: z.string().nullable(), firstContactAt: z.string(), lastContactAt: z.string() }),
  corrections: z.array(z.object({ field: z.string(), oldValue: z.string().nullable(), newValue: z.string(), reason: z.string(), correctedAt: z.string() })),
  conversations: z.array(
    z.object({
      id: z.string(),
      channelId: z.string(),
      status: z.string(),
      createdAt: z.string(),
      lastMessageAt: z.string(),
      labels: z.array(z.string()),
      notes: z.array(z.object({ text: z.string(), author: z.string(), createdAt: z.string() })),
      messages: z.array(message),
    }),
  ),
  statuses: z.array(z.object({ wamid: z.string(), status: z.string(), occurredAt: z.string() })),
  media: z.array(z.object({ id: z.string(), file: z.string().nullable(), mimeType: z.string(), size: z.number().nullable(), sha256: z.string().nullable() })),
  consents: z.array(z.object({ purpose: z.string(), state: z.string(), events: z.array(z.object({ kind: z.string(), channel: z.string(), text: z.string().nullable(), noticeVersion: z.string().nullable(), occurredAt: z.string(), source: z.unknown(), evidence: z.unknown() })) })),
  /** § 7(3) UWG bases recorded for the person (packages from before this field have none). */
  existingCustomer: z.array(z.object({ purpose: z.string(), saleReference: z.string(), soldAt: z.string(), noticeText: z.string(), recordedAt: z.string(), active: z.boolean() })).optional(),
  suppressed: z.boolean().describe('whether the number is on the list of numbers that objected to marketing'),
  privacyNotices: z.array(z.object({ version: z.string(), deliveredAt: z.string(), messageId: z.string() })),
  requests: z.array(z.object({ kind: z.string(), receivedAt: z.string(), dueDate: z.string(), status: z.string(), closedAt: z.string().nullable() })),
  auditEntries: z.array(z.object({ at: z.string(), action: z.string(), actorRole: z.string().nullable() })),
})
export type SubjectExport = z.infer<typeof subjectExportSchema>

const CHUNK = 1000

export async function collectSubjectData(db: Executor, consent: ConsentService, vault: MessageVault, contactId: string, exportedAt: string): Promise<{ data: SubjectExport; mediaRows: MediaRow[] }> {
  const contact = (await vault.details.openRows(db, [await db.selectFrom('contacts').selectAll().where('id', '=', contactId).executeTakeFirstOrThrow()]))[0]!
  const conversations = await db.selectFrom('conversations').selectAll().where('contact_id', '=', contactId).orderBy('created_at').execute()
  const conversationIds = conversations.map((c) => c.id)
  const none = ['']
  const [messageRows, labelRows, noteRows, corrections, consents, notices, requests, audits, company] = await Promise.all([
    db.selectFrom('messages').selectAll().where('conversation_id', 'in', conversationIds.length ? conversationIds : none).orderBy('timestamp').orderBy('id').execute().then((rows) => vault.open(db, rows)),
    db.selectFrom('conversation_labels').innerJoin('labels', 'labels.id', 'conversation_labels.label_id').select(['conversation_labels.conversation_id', 'labels.name']).where('conversation_labels.conversation_id', 'in', conversationIds.length ? conversationIds : none).execute(),
    db.selectFrom('notes').selectAll().where('conversation_id', 'in', conversationIds.length ? conversationIds : none).orderBy('created_at').execute().then((rows) => openNoteBodies(db, vault.details, rows, () => contactId)),
    db.selectFrom('contact_corrections').selectAll().where('contact_id', '=', contactId).orderBy('corrected_at').execute().then((rows) => openCorrections(db, vault.details, rows)),
    consent.overview(db, contactId),
    db.selectFrom('privacy_notice_deliveries').selectAll().where('contact_id', '=', contactId).orderBy('created_at').execute(),
    db.selectFrom('dsr_requests').selectAll().where('contact_id', '=', contactId).orderBy('received_at').execute(),
    db.selectFrom('audit_log').select(['at', 'action', 'actor_role']).where('contact_id', '=', contactId).orderBy('at').execute(),
    getSetting<CompanySettings>(db, 'company'),
  ])
  const suppressedSince = contact.wa_id ? await consent.suppressions.since(db, contact.wa_id) : undefined

  // Colleagues by pseudonym, numbered in order of appearance.
  const pseudonyms = new Map<string, string>()
  const pseudonym = (userId: string | null) => {
    if (!userId) return null
    if (!pseudonyms.has(userId)) pseudonyms.set(userId, `Mitarbeiter ${pseudonyms.size + 1}`)
    return pseudonyms.get(userId)!
  }
  const presented = await presentWithMedia(db, messageRows)
  const wamids = messageRows.flatMap((m) => (m.wamid ? [m.wamid] : []))
  const statuses = []
  for (let i = 0; i < wamids.length; i += CHUNK) {
    statuses.push(...(await db.selectFrom('message_statuses').select(['wamid', 'status', 'occurred_at']).where('wamid', 'in', wamids.slice(i, i + CHUNK)).orderBy('occurred_at').execute()))
  }
  const mediaRows = [...new Map(presented.flatMap((p) => (p.media ? [[p.media.id, p.media] as const] : []))).values()]
  const data: SubjectExport = {
    format: 'postfach.subject-export',
    version: 1,
    exportedAt,
    controller: company ?? null,
    contact: { id: contact.id, waId: contact.wa_id, userId: contact.user_id, profileName: contact.profile_name, name: contact.name_override ?? contact.profile_name, firstContactAt: contact.first_contact_at, lastContactAt: contact.last_contact_at },
    corrections: corrections.map((c) => ({ field: c.field, oldValue: c.old_value, newValue: c.new_value, reason: c.reason, correctedAt: c.corrected_at })),
    conversations: conversations.map((c) => ({
      id: c.id,
      channelId: c.channel_id,
      status: c.status,
      createdAt: c.created_at,
      lastMessageAt: c.last_message_at,
      labels: labelRows.filter((l) => l.conversation_id === c.id).map((l) => l.name),
      notes: noteRows.filter((n) => n.conversation_id === c.id).map((n) => ({ text: n.body, author: pseudonym(n.author_id) ?? 'System', createdAt: n.created_at })),
      messages: presented.filter((p) => p.message.conversationId === c.id).map((p) => ({ ...p.message, sentBy: pseudonym(p.message.sentBy), canResend: undefined })),
    })),
    statuses: statuses.map((s) => ({ wamid: s.wamid, status: s.status, occurredAt: s.occurred_at })),
    media: mediaRows.map((m) => ({ id: m.id, file: m.state === 'stored' && m.sha256 ? mediaFileName(m) : null, mimeType: m.mime_type, size: m.size, sha256: m.sha256 })),
    consents: consents.map((o) => ({
      purpose: o.purpose.key,
      state: o.state,
      events: o.events.map((e) => ({ kind: e.kind, channel: e.channel, text: e.text, noticeVersion: e.notice_version, occurredAt: e.occurred_at, source: JSON.parse(e.source) as unknown, evidence: JSON.parse(e.evidence) as unknown })),
    })),
    existingCustomer: (await basesOf(db, contactId, suppressedSince)).map((b) => ({ purpose: b.purpose, saleReference: b.saleReference, soldAt: b.soldAt, noticeText: b.noticeText, recordedAt: b.recordedAt, active: b.active })),
    suppressed: suppressedSince !== undefined,
    privacyNotices: notices.map((n) => ({ version: n.version, deliveredAt: n.created_at, messageId: n.message_id })),
    requests: requests.map((r) => ({ kind: r.kind, receivedAt: r.received_at, dueDate: r.extended_due_at ?? r.due_at, status: r.status, closedAt: r.closed_at })),
    auditEntries: audits.map((a) => ({ at: a.at, action: a.action, actorRole: a.actor_role })),
  }
  return { data, mediaRows }
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'application/pdf': 'pdf', 'audio/ogg': 'ogg', 'audio/mpeg': 'mp3', 'video/mp4': 'mp4', 'text/plain': 'txt' }
export const mediaFileName = (m: MediaRow) => `media/${m.id}.${EXTENSIONS[m.mime_type.split(';')[0]!.trim()] ?? 'bin'}`
