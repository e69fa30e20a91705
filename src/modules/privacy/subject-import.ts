import { unzipSync } from 'fflate'
import type { Executor } from '../../db/database.js'
import type { NewMessage } from '../../db/schema.js'
import { badRequest, conflict } from '../../platform/errors.js'
import { newId, sha256Hex } from '../../platform/ids.js'
import type { JournalSealer } from '../archive/journal-sealer.js'
import type { MessageVault, StoredMessage } from '../inbox/message-vault.js'
import type { Suppressions } from '../consent/consent.repo.js'
import { appendEntries } from '../journal/journal.repo.js'
import { journalMediaStored } from '../media/media-record.js'
import type { MediaStore } from '../media/media-store.js'
import { MEDIA_TYPES } from '../whatsapp/webhook-events.js'
import { type SubjectExport, subjectExportSchema } from './subject-export.js'

/** Fields the export adds to show a message; not part of what WhatsApp delivered. */
const PRESENTATION = new Set(['mediaId', 'mediaState', 'mimeType', 'size'])
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [snake(k), snakeKeys(x)]))
  return v
}

export type ImportSummary = { contactId: string; conversationId: string; messages: number; media: number; statuses: number; consentsNotCarriedOver: number; suppressed: boolean }

/** The package a Postfach export produced: its `data.json`, checked against the published schema, and its files. */
export function readPackage(zip: Buffer): { data: SubjectExport; files: Record<string, Uint8Array> } {
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(zip)
  } catch {
    throw badRequest('The upload is not a ZIP file.', { field: 'body' })
  }
  if (!files['data.json']) throw badRequest('The package has no data.json (a Postfach data export is expected).', { field: 'data.json' })
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(files['data.json']).toString('utf8'))
  } catch {
    throw badRequest('data.json is not valid JSON.', { field: 'data.json' })
  }
  const parsed = subjectExportSchema.safeParse(json)
  if (!parsed.success) throw badRequest('data.json does not match the published schema.', { field: 'data.json', issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) })
  return { data: parsed.data, files }
}

/**
 * Portability, receiving side (GDPR-20): a person's data exported by another Postfach becomes
 * their contact, one conversation on this instance's number, the messages with their statuses and
 * media — journaled as one entry, sealed under the person's key, so the archive holds what came in.
 * Not carried over: consents (given to the other controller; this one must ask again), colleagues
 * (pseudonyms there), the other team's notes and labels, and the WhatsApp user id (Meta gives each
 * business its own; this number's arrives with the person's next message). An objection is kept: a suppressed number
 * stays suppressed here. Nothing is written when anything is off (one transaction, checked first).
 */
export async function importSubject(
  tx: Executor,
  o: { data: SubjectExport; files: Record<string, Uint8Array>; raw: Buffer; channelId: string; store: MediaStore; sealer?: JournalSealer | undefined; vault: MessageVault; suppressions: Suppressions; now: string },
): Promise<ImportSummary> {
  const { data } = o
  const waId = data.contact.waId
  if (!waId) throw badRequest('The package names no WhatsApp number.', { field: 'contact.waId' })
  if (await tx.selectFrom('contacts').select('id').where('wa_key', '=', o.vault.details.lookupKey('wa', waId)).executeTakeFirst()) throw conflict('privacy.contact_exists', 'A contact with this number exists already; packages are imported into an instance that does not know the person yet.')
  const messages = data.conversations.flatMap((c) => c.messages).sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
  const wamids = messages.flatMap((m) => (m.wamid ? [m.wamid] : []))
  if (wamids.length && (await tx.selectFrom('messages').select('id').where('wamid', 'in', wamids.slice(0, 500)).executeTakeFirst())) throw conflict('privacy.messages_exist', 'Messages of this package are here already.')

  // Media first checked against the package's own digests.
  const mediaBytes = new Map<string, Buffer>()
  for (const m of data.media) {
    if (!m.file) continue
    const bytes = o.files[m.file]
    if (!bytes) throw badRequest(`The package lacks ${m.file}.`, { field: m.file })
    if (m.sha256 && sha256Hex(Buffer.from(bytes)) !== m.sha256) throw badRequest(`${m.file} does not match its digest.`, { field: m.file })
    mediaBytes.set(m.id, Buffer.from(bytes))
  }

  const [entry] = await appendEntries(tx, 'privacy.import', [o.raw], o.sealer ? { sealer: o.sealer, identities: [[waId]] } : undefined)
  const seq = entry!.seq
  const contactId = newId()
  const first = messages[0]?.timestamp ?? data.contact.firstContactAt
  const last = messages.at(-1)?.timestamp ?? data.contact.lastContactAt
  const override = data.contact.name !== data.contact.profileName ? data.contact.name : null
  await tx
    .insertInto('contacts')
    .values({ id: contactId, ...(await o.vault.details.identifiers(tx, contactId, { waId, userId: null })), profile_name: await o.vault.details.seal(tx, contactId, data.contact.profileName), name_override: await o.vault.details.seal(tx, contactId, override), first_contact_at: data.contact.firstContactAt, last_contact_at: data.contact.lastContactAt, created_at: o.now, updated_at: o.now })
    .execute()
  await o.vault.details.enter(tx, contactId, { name: override ?? data.contact.profileName, waId })
  const conversationId = newId()
  const lastInbound = messages.filter((m) => m.direction === 'inbound').at(-1)?.timestamp ?? null
  await tx
    .insertInto('conversations')
    .values({ id: conversationId, contact_id: contactId, channel_id: o.channelId, status: data.conversations.some((c) => c.status !== 'resolved') ? 'open' : 'resolved', assignee_id: null, last_message_at: last, last_inbound_at: lastInbound, read_up_to: lastInbound, created_at: first, updated_at: o.now })
    .execute()

  let mediaCount = 0
  const rows: StoredMessage[] = []
  for (const m of messages) {
    const shown = (m[m.type] ?? {}) as Record<string, unknown>
    const content: Record<string, unknown> = Object.fromEntries(Object.entries(shown).filter(([k]) => !PRESENTATION.has(k)))
    const id = newId()
    const exportedMediaId = typeof shown.mediaId === 'string' ? shown.mediaId : null
    const bytes = MEDIA_TYPES.has(m.type) && exportedMediaId ? mediaBytes.get(exportedMediaId) : undefined
    const mediaId = m.direction === 'inbound' ? id : newId()
    if (bytes) {
      const info = data.media.find((x) => x.id === exportedMediaId)!
      const sha256 = await o.store.put(bytes)
      await tx.insertInto('media').values({ id: mediaId, direction: m.direction, state: 'stored', mime_type: info.mimeType, size: bytes.length, sha256, expected_sha256: sha256, graph_media_id: null, graph_uploaded_at: null, last_error: null, created_at: o.now, updated_at: o.now }).execute()
      await journalMediaStored(tx, { mediaId, sha256, size: bytes.length, mimeType: info.mimeType })
      mediaCount++
      if (m.direction === 'outbound') content.id = mediaId
    }
    const context = (m.context ?? {}) as { replyTo?: string | null; forwarded?: boolean; frequentlyForwarded?: boolean }
    const raw = { type: m.type, [m.type]: snakeKeys(content), ...(context.forwarded ? { context: { forwarded: true, frequently_forwarded: context.frequentlyForwarded === true } } : {}), ...(m.referral ? { referral: snakeKeys(m.referral) } : {}) }
    const error = (m.error ?? null) as { code: number | null; title: string; detail: string | null } | null
    rows.push({
      id, conversation_id: conversationId, wamid: m.wamid, direction: m.direction, type: m.type, status: m.status as NewMessage['status'], timestamp: m.timestamp, content: JSON.stringify(raw), key_id: null,
      context_wamid: context.replyTo ?? null, error_code: error?.code ?? null, error_title: error?.title ?? null, error_detail: error?.detail ?? null, sent_by: null,
      // A message the other instance never sent has no wamid to find it by in the package: kept as an unsent one is.
      journal_seq: m.wamid ? seq : null, created_at: o.now, updated_at: o.now,
    })
  }
  await o.vault.insert(tx, rows.map((row) => ({ row, contactId })))
  const known = new Set(wamids)
  const statuses = data.statuses.filter((s) => known.has(s.wamid))
  for (let i = 0; i < statuses.length; i += 500)
    await tx
      .insertInto('message_statuses')
      .values(statuses.slice(i, i + 500).map((s) => ({ wamid: s.wamid, status: s.status, occurred_at: s.occurredAt, errors: null, pricing: null, biz_opaque_callback_data: null, journal_seq: seq })))
      .onConflict((oc) => oc.doNothing())
      .execute()
  if (data.suppressed) await o.suppressions.add(tx, waId, 'objected (carried over with the person’s data)', o.now)
  return { contactId, conversationId, messages: rows.length, media: mediaCount, statuses: statuses.length, consentsNotCarriedOver: data.consents.reduce((n, c) => n + c.events.length, 0), suppressed: data.suppressed }
}
