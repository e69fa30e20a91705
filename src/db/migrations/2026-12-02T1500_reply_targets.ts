import { type Kysely, sql } from 'kysely'

/**
 * Reply targets: since when the customer has been waiting for a colleague's answer (the first
 * customer message after the team's last reply; automatic answers and reactions answer nobody),
 * when a colleague last answered (a customer message from before it, redelivered or late, starts
 * no wait), and which wait the team was last told had passed the target. Filled in from the
 * messages. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('conversations').addColumn('awaiting_reply_since', 'text').execute()
  await db.schema.alterTable('conversations').addColumn('last_reply_at', 'text').execute()
  await db.schema.alterTable('conversations').addColumn('overdue_notified_for', 'text').execute()
  // In whole seconds, as Meta stamps the customer's messages (see touchConversation).
  await sql`update conversations set last_reply_at = (select substr(max(o.timestamp), 1, 19) || '.000Z' from messages o
      where o.conversation_id = conversations.id and o.direction = 'outbound' and o.sent_by is not null and o.type <> 'reaction')`.execute(db)
  await sql`update conversations set awaiting_reply_since = (select min(i.timestamp) from messages i
      where i.conversation_id = conversations.id and i.direction = 'inbound' and i.type <> 'reaction' and i.timestamp >= coalesce(conversations.last_reply_at, ''))
    where status = 'open'`.execute(db)
}
