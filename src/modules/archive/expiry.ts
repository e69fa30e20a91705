import type { Db, Executor } from '../../db/database.js'
import type { RetentionClass } from '../../db/schema.js'
import { appendEntries } from '../journal/journal.repo.js'
import { audit } from '../privacy/audit.js'
import { classOf } from '../privacy/erasure.js'
import { type RetentionSettings, retainedUntil, retentionYears } from '../privacy/retention-settings.js'
import type { DataKeys } from './data-keys.js'
import { activeHoldsFor, holdsCovering, type HoldRow } from './holds.js'

export type ExpirySummary = { messages: Record<RetentionClass, number>; conversations: number; media: string[]; shreddedKeys: string[] }

const CHUNK = 500
const DAY = 86_400_000

/** The last day a message must be kept, or null for 'none' (kept until someone decides). */
function keepUntil(cls: RetentionClass, timestamp: string, r: RetentionSettings): string | null {
  if (cls === 'marketing') return new Date(Date.parse(timestamp) + r.marketingDays * DAY).toISOString().slice(0, 10)
  const years = retentionYears(r, cls)
  return years ? retainedUntil(timestamp, years) : null
}

/**
 * The expiry job (GOBD-9, GOBD-11 b, SHRED-2): messages whose retention ended — tax classes at the
 * end of their period, marketing `marketingDays` after sending — and that no legal hold covers are
 * deleted with their statuses and media; conversations left empty go too. Then every data key of
 * a past year that no remaining message needs is destroyed, which makes the journal's sealed
 * originals of those messages unreadable for good while their leaves and all proofs stay. One
 * receipt leaf per run names the counts and the destroyed key ids, never a person. Holds are
 * checked now, at execution, not when something was scheduled.
 */
export async function expireRecords(
  db: Db,
  o: { today: string; retention: RetentionSettings; keys: DataKeys; /** Look for keys to destroy (a scan of all messages: once a day is enough). */ keyPass: boolean },
): Promise<ExpirySummary> {
  const summary: ExpirySummary = { messages: { handelsbrief: 0, buchungsbeleg: 0, buch: 0, marketing: 0, none: 0 }, conversations: 0, media: [], shreddedKeys: [] }
  const shortestTaxYears = Math.min(o.retention.handelsbriefYears, o.retention.buchungsbelegYears, o.retention.buchYears)
  // Only messages that can have expired: any class before the shortest tax period's start, and
  // marketing ones older than the marketing period.
  const taxHorizon = `${Number(o.today.slice(0, 4)) - shortestTaxYears - 1}-12-31T23:59:59.999Z`
  const marketingHorizon = new Date(Date.parse(o.today) - o.retention.marketingDays * DAY).toISOString()
  const select = () =>
    db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select(['m.id', 'm.conversation_id', 'c.contact_id', 'c.retention_class as conversation_class', 'm.retention_class', 'm.purpose', 'm.timestamp', 'm.wamid'])
  const candidates = [
    ...(await select().where('m.timestamp', '<=', taxHorizon).execute()),
    ...(await select()
      .where('m.timestamp', '>', taxHorizon)
      .where('m.timestamp', '<=', marketingHorizon)
      .where((eb) => eb.or([eb('m.purpose', 'is not', null), eb('m.retention_class', '=', 'marketing'), eb('c.retention_class', '=', 'marketing')]))
      .execute()),
  ]
  const holdsByContact = new Map<string, HoldRow[]>()
  const expired: typeof candidates = []
  for (const m of candidates) {
    const cls = classOf(m, m.conversation_class, o.retention.defaultClass)
    const until = keepUntil(cls, m.timestamp, o.retention)
    if (until === null || until >= o.today) continue
    if (!holdsByContact.has(m.contact_id)) holdsByContact.set(m.contact_id, await activeHoldsFor(db, m.contact_id, [m.conversation_id]))
    if (holdsCovering(holdsByContact.get(m.contact_id)!, m, m.contact_id).length) continue
    expired.push(m)
    summary.messages[cls]++
  }

  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < expired.length; i += CHUNK) {
      const chunk = expired.slice(i, i + CHUNK)
      const ids = chunk.map((m) => m.id)
      const wamids = chunk.flatMap((m) => (m.wamid ? [m.wamid] : []))
      const media = await tx.selectFrom('media').select(['id', 'sha256']).where('id', 'in', ids).execute()
      await tx.deleteFrom('media').where('id', 'in', ids).execute()
      for (const m of media) if (m.sha256 && !(await tx.selectFrom('media').select('id').where('sha256', '=', m.sha256).executeTakeFirst())) summary.media.push(m.sha256)
      if (wamids.length) await tx.deleteFrom('message_statuses').where('wamid', 'in', wamids).execute()
      await tx.deleteFrom('messages').where('id', 'in', ids).execute()
    }
    const touched = [...new Set(expired.map((m) => m.conversation_id))]
    for (let i = 0; i < touched.length; i += CHUNK) {
      const chunk = touched.slice(i, i + CHUNK)
      const kept = new Set((await tx.selectFrom('messages').select('conversation_id').where('conversation_id', 'in', chunk).execute()).map((r) => r.conversation_id))
      const empty = chunk.filter((id) => !kept.has(id))
      if (!empty.length) continue
      await tx.deleteFrom('notifications').where('conversation_id', 'in', empty).execute()
      await tx.deleteFrom('notes').where('conversation_id', 'in', empty).execute()
      await tx.deleteFrom('conversation_labels').where('conversation_id', 'in', empty).execute()
      await tx.deleteFrom('conversations').where('id', 'in', empty).execute()
      summary.conversations += empty.length
    }
    if (o.keyPass) summary.shreddedKeys = await unneededPastKeys(tx, o.today)
    await o.keys.destroy(tx, summary.shreddedKeys, 'retention ended')
    if (expired.length || summary.shreddedKeys.length) {
      await appendEntries(tx, 'archive.erasure', [Buffer.from(JSON.stringify({ reason: 'retention ended', on: o.today, expired: summary.messages, conversations: summary.conversations, media: summary.media, shreddedKeys: summary.shreddedKeys }))])
      await audit(tx, undefined, { action: 'archive.expired', target: 'archive', detail: { on: o.today, messages: summary.messages, conversations: summary.conversations, keys: summary.shreddedKeys.length } })
    }
  })
  return summary
}

/**
 * Keys of past years that no remaining message's content or journal entry is sealed with. (Keys
 * of the current year still seal new entries, so they wait for the year to end.)
 */
async function unneededPastKeys(tx: Executor, today: string): Promise<string[]> {
  const past = await tx.selectFrom('data_keys').select(['id', 'period']).where('wrapped', 'is not', null).execute()
  // Keys of years only: contact details (period `details`) go with the person, not with a year.
  const candidates = past.filter((k) => /^\d{4}/.test(k.period) && k.period.slice(0, 4) < today.slice(0, 4))
  if (!candidates.length) return []
  const needed = new Set<string>()
  const rows = await tx.selectFrom('messages as m').innerJoin('journal as j', 'j.seq', 'm.journal_seq').select('j.key_id').where('j.key_id', 'is not', null).execute()
  for (const r of rows) for (const id of r.key_id!.split(',')) needed.add(id)
  for (const r of await tx.selectFrom('messages').select('key_id').distinct().where('key_id', 'is not', null).execute()) needed.add(r.key_id!)
  return candidates.filter((k) => !needed.has(k.id)).map((k) => k.id)
}
