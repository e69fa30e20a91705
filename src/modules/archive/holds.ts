import type { Executor } from '../../db/database.js'
import type { LegalHoldsTable } from '../../db/schema.js'
import type { Selectable } from 'kysely'

export type HoldRow = Selectable<LegalHoldsTable>

/** Active holds that may cover a contact's data: on the contact, on one of its conversations, or on a period. */
export async function activeHoldsFor(db: Executor, contactId: string, conversationIds: string[]): Promise<HoldRow[]> {
  return db
    .selectFrom('legal_holds')
    .selectAll()
    .where('released_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('scope', '=', 'period'),
        eb.and([eb('scope', '=', 'contact'), eb('contact_id', '=', contactId)]),
        ...(conversationIds.length ? [eb.and([eb('scope', '=', 'conversation'), eb('conversation_id', 'in', conversationIds)])] : []),
      ]),
    )
    .execute()
}

/** The holds that cover one message (GOBD-10): its contact, its conversation, or a period containing its time. */
export function holdsCovering(holds: HoldRow[], m: { conversation_id: string; timestamp: string }, contactId: string): HoldRow[] {
  return holds.filter((h) =>
    h.scope === 'contact' ? h.contact_id === contactId : h.scope === 'conversation' ? h.conversation_id === m.conversation_id : (h.period_from ?? '') <= m.timestamp && m.timestamp <= (h.period_to ?? '9999'),
  )
}
