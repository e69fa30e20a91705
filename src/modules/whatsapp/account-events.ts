import type { Executor } from '../../db/database.js'
import { newId } from '../../platform/ids.js'
import { getSetting, putSetting } from '../settings/settings.repo.js'
import type { OtherEvent, WebhookEvent } from './webhook-events.js'

type RawObject = Record<string, unknown>
type AccountEvent = { field: string; subject: string; event: string; detail: RawObject; alert: boolean }

const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '')
const TEMPLATE_ALERTS = new Set(['REJECTED', 'PAUSED', 'DISABLED', 'FLAGGED'])

/**
 * What an account-level webhook says, as one row: templates (status, quality, category), the
 * number (quality and limit changes, display-name decisions) and account alerts. `alert` marks
 * what an admin must look at: a rejected, paused or disabled template, a quality drop, a
 * rejected display name, a restriction or an active alert.
 */
export function accountEventOf(e: OtherEvent): AccountEvent | undefined {
  const v = e.value
  const template = () => `template:${s(v.message_template_name)}/${s(v.message_template_language)}`
  switch (e.field) {
    case 'message_template_status_update':
      return { field: e.field, subject: template(), event: s(v.event), detail: { reason: v.reason ?? null, category: v.message_template_category ?? null, id: s(v.message_template_id) }, alert: TEMPLATE_ALERTS.has(s(v.event)) }
    case 'message_template_quality_update':
      return { field: e.field, subject: template(), event: s(v.new_quality_score), detail: { previous: v.previous_quality_score ?? null }, alert: ['YELLOW', 'RED'].includes(s(v.new_quality_score)) }
    case 'template_category_update':
      return { field: e.field, subject: template(), event: s(v.new_category), detail: { previous: v.previous_category ?? null }, alert: false }
    case 'phone_number_quality_update':
      return { field: e.field, subject: `number:${s(v.display_phone_number)}`, event: s(v.event), detail: { currentLimit: v.current_limit ?? null, oldLimit: v.old_limit ?? null }, alert: ['DOWNGRADE', 'FLAGGED'].includes(s(v.event)) }
    case 'phone_number_name_update':
      return { field: e.field, subject: `number:${s(v.display_phone_number)}`, event: `NAME_${s(v.decision)}`, detail: { requestedName: v.requested_verified_name ?? null, reason: v.rejection_reason ?? null }, alert: s(v.decision) === 'REJECTED' }
    case 'account_alerts': {
      const info = (v.alert_info ?? {}) as RawObject
      return { field: e.field, subject: `${s(v.entity_type).toLowerCase() || 'account'}:${s(v.entity_id)}`, event: s(info.alert_type), detail: { severity: info.alert_severity ?? null, status: info.alert_status ?? null, description: info.alert_description ?? null }, alert: s(info.alert_status) === 'ACTIVE' }
    }
    case 'account_update':
      return { field: e.field, subject: 'account:', event: s(v.event), detail: { restrictions: v.restriction_info ?? null, violation: v.violation_info ?? null }, alert: /RESTRICT|VIOLATION|BAN|DISABLE/.test(s(v.event)) }
    default:
      return undefined
  }
}

/** Projects the account events of journal entries, in the ingest transaction; idempotent per entry. Returns whether any concerned templates. */
export async function projectAccountEvents(tx: Executor, entries: { journalSeq: number; events: WebhookEvent[] }[]): Promise<{ templates: boolean }> {
  const rows = entries.flatMap(({ journalSeq, events }) =>
    events.flatMap((e) => {
      const a = e.kind === 'other' ? accountEventOf(e) : undefined
      return a ? [{ id: newId(), journal_seq: journalSeq, field: a.field, subject: a.subject, event: a.event, detail: JSON.stringify(a.detail), alert: a.alert ? 1 : 0, occurred_at: (e as OtherEvent).at ?? new Date().toISOString() }] : []
    }),
  )
  if (rows.length === 0) return { templates: false }
  await tx.insertInto('account_events').values(rows).onConflict((oc) => oc.columns(['journal_seq', 'field', 'subject', 'event']).doNothing()).execute()
  await refreshNumberStatus(tx, rows)
  return { templates: rows.some((r) => r.subject.startsWith('template:')) }
}

/**
 * The number's last known state (what the status page shows when Meta cannot be asked, and the
 * messaging limit campaigns keep to) follows Meta's webhooks: a new limit, a name decision.
 */
async function refreshNumberStatus(tx: Executor, rows: { field: string; event: string; detail: string }[]): Promise<void> {
  const changes: Record<string, string> = {}
  for (const r of rows) {
    const d = JSON.parse(r.detail) as Record<string, unknown>
    if (r.field === 'phone_number_quality_update' && typeof d.currentLimit === 'string') changes.messagingLimit = d.currentLimit
    if (r.field === 'phone_number_name_update') {
      changes.nameStatus = r.event.replace(/^NAME_/, '')
      if (r.event === 'NAME_APPROVED' && typeof d.requestedName === 'string') changes.verifiedName = d.requestedName
    }
  }
  if (Object.keys(changes).length === 0) return
  const current = (await getSetting<Record<string, unknown>>(tx, 'channel.status')) ?? {}
  await putSetting(tx, 'channel.status', { ...current, ...changes }, null)
}
