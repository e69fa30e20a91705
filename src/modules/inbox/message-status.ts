import type { Executor } from '../../db/database.js'
import type { MessageStatus } from '../../db/schema.js'
import { nowIso } from '../../platform/time.js'

/**
 * Derives an outbound message's status from the set of status events received for it. Because it
 * depends on the set and not on arrival order, duplicates and shuffled deliveries give the same
 * answer: sent < delivered < read; `failed` wins over `sent` only, since a delivered or read
 * event proves delivery whatever came before it.
 */
export function deriveStatus(received: ReadonlySet<string>, current: MessageStatus): MessageStatus {
  if (received.has('read') || received.has('played')) return 'read'
  if (received.has('delivered')) return 'delivered'
  if (received.has('failed')) return 'failed'
  if (received.has('sent')) return 'sent'
  return current
}

type StatusError = { code?: unknown; title?: unknown; message?: unknown; error_data?: { details?: unknown } }

/**
 * Re-applies every stored status event of a wamid to its message, if the message exists yet.
 * Idempotent; called after a status arrives and after a message gets its wamid.
 */
export async function applyStoredStatuses(db: Executor, wamid: string): Promise<void> {
  const message = await db
    .selectFrom('messages')
    .select(['id', 'status', 'direction'])
    .where('wamid', '=', wamid)
    .executeTakeFirst()
  if (!message || message.direction !== 'outbound') return
  const events = await db.selectFrom('message_statuses').select(['status', 'errors']).where('wamid', '=', wamid).execute()
  const status = deriveStatus(new Set(events.map((e) => e.status)), message.status)
  if (status === message.status) return
  const failed = status === 'failed' ? events.find((e) => e.status === 'failed') : undefined
  const err = failed?.errors ? ((JSON.parse(failed.errors) as StatusError[])[0] ?? undefined) : undefined
  await db
    .updateTable('messages')
    .set({
      status,
      updated_at: nowIso(),
      ...(status === 'failed'
        ? {
            error_code: typeof err?.code === 'number' ? err.code : null,
            error_title: typeof err?.title === 'string' ? err.title : 'Failed',
            error_detail: typeof err?.error_data?.details === 'string' ? err.error_data.details : typeof err?.message === 'string' ? err.message : null,
          }
        : { error_code: null, error_title: null, error_detail: null }),
    })
    .where('id', '=', message.id)
    .execute()
}
