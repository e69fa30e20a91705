import type { Executor } from '../../db/database.js'
import type { MessageStatus } from '../../db/schema.js'
import { nowIso } from '../../platform/time.js'
import { collectChunks } from '../../platform/chunks.js'

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
 * Re-applies every stored status event of these wamids to their messages, where the messages
 * exist yet. Idempotent; called after statuses arrive and after a message gets its wamid. Two
 * reads for any number of wamids, then one write per message whose status changes. Returns the
 * conversations whose messages changed.
 */
export async function applyStoredStatuses(db: Executor, wamids: string | readonly string[]): Promise<string[]> {
  const list = [...new Set(typeof wamids === 'string' ? [wamids] : wamids)]
  if (list.length === 0) return []
  const changedConversations: string[] = []
  const messages = await collectChunks(list, (chunk) => db.selectFrom('messages').select(['id', 'status', 'wamid', 'conversation_id']).where('wamid', 'in', chunk).where('direction', '=', 'outbound').execute())
  if (messages.length === 0) return []
  const events = await collectChunks(
    messages.map((m) => m.wamid!),
    (chunk) => db.selectFrom('message_statuses').select(['wamid', 'status', 'errors']).where('wamid', 'in', chunk).execute(),
  )
  const eventsOf = new Map<string, typeof events>()
  for (const e of events) {
    const known = eventsOf.get(e.wamid)
    if (known) known.push(e)
    else eventsOf.set(e.wamid, [e])
  }
  for (const message of messages) {
    const own = eventsOf.get(message.wamid!) ?? []
    const status = deriveStatus(new Set(own.map((e) => e.status)), message.status)
    if (status === message.status) continue
    const failed = status === 'failed' ? own.find((e) => e.status === 'failed') : undefined
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
    changedConversations.push(message.conversation_id)
  }
  return changedConversations
}
