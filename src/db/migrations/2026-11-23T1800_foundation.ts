import { type Kysely, sql } from 'kysely'

/**
 * Foundation schema. Frozen: never edit after merge; add a new migration instead.
 * Portable types only (text ids, ISO-8601 UTC text timestamps, integer flags, CHECK constraints for
 * string unions) so the same rows mean the same thing on SQLite and PostgreSQL.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob'
  const serial = dialect === 'postgres' ? sql`bigint generated always as identity primary key` : sql`integer primary key autoincrement`

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'agent', 'auditor')`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // SHA-256 of the cookie value, never the value itself
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('user_agent', 'text')
    .execute()
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute()

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'agent', 'auditor')`))
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute()

  await db.schema
    .createTable('channels')
    .addColumn('id', 'text', (c) => c.primaryKey()) // the Cloud API phone_number_id
    .addColumn('waba_id', 'text', (c) => c.notNull())
    .addColumn('display_phone_number', 'text')
    .addColumn('paused_reason', 'text')
    .addColumn('paused_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // The journal: every raw input in arrival order. Append-only (triggers below). `content` may be
  // encrypted with the data key named by `key_id` and later shredded by the archive; `content_sha256`
  // is the commitment that stays.
  await db.schema
    .createTable('journal')
    .addColumn('seq', serial as any)
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('content', blob as any)
    .addColumn('key_id', 'text')
    .execute()
  // One entry per distinct body and kind: Meta's byte-identical redeliveries are recorded once.
  await db.schema.createIndex('journal_content_uq').unique().on('journal').columns(['kind', 'content_sha256']).execute()

  await db.schema
    .createTable('unrouted_events')
    .addColumn('journal_seq', 'bigint', (c) => c.primaryKey())
    .addColumn('phone_number_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('wa_id', 'text', (c) => c.unique())
    .addColumn('user_id', 'text', (c) => c.unique()) // business-scoped user id (BSUID)
    .addColumn('profile_name', 'text')
    .addColumn('first_contact_at', 'text', (c) => c.notNull())
    .addColumn('last_contact_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id'))
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'pending', 'resolved')`))
    .addColumn('assignee_id', 'text', (c) => c.references('users.id'))
    .addColumn('last_message_at', 'text', (c) => c.notNull())
    .addColumn('last_inbound_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('conversations_contact_channel_uq', ['contact_id', 'channel_id'])
    .execute()
  await db.schema
    .createIndex('conversations_activity_idx')
    .on('conversations')
    .columns(['last_message_at', 'id'])
    .execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('wamid', 'text', (c) => c.unique())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('received', 'queued', 'sent', 'delivered', 'read', 'failed', 'uncertain')`),
    )
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull()) // JSON of the type's object; ciphertext once keyed
    .addColumn('key_id', 'text')
    .addColumn('context_wamid', 'text')
    .addColumn('error_code', 'integer')
    .addColumn('error_title', 'text')
    .addColumn('error_detail', 'text')
    .addColumn('sent_by', 'text', (c) => c.references('users.id'))
    .addColumn('journal_seq', 'bigint')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createIndex('messages_conversation_idx')
    .on('messages')
    .columns(['conversation_id', 'timestamp', 'id'])
    .execute()

  // Every status event ever received, deduplicated by (wamid, status). A message's status is derived
  // from this set, so order of arrival does not matter, and a status for a wamid we do not know yet
  // is applied when the message appears.
  await db.schema
    .createTable('message_statuses')
    .addColumn('wamid', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('errors', 'text')
    .addColumn('pricing', 'text')
    .addColumn('biz_opaque_callback_data', 'text')
    .addColumn('journal_seq', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('message_statuses_pk', ['wamid', 'status'])
    .execute()

  await db.schema
    .createTable('media')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('inbound', 'outbound')`))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'stored', 'failed')`))
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('filename', 'text')
    .addColumn('size', 'bigint')
    .addColumn('sha256', 'text') // hex digest of the stored bytes: the storage key
    .addColumn('expected_sha256', 'text') // Meta's digest from the webhook
    .addColumn('graph_media_id', 'text')
    .addColumn('graph_uploaded_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    // Jobs with the same group key run one at a time, oldest first (sends to one conversation).
    .addColumn('group_key', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'running', 'done', 'failed')`))
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // The claim walks this index in order and stops at its limit, however long the queue.
  await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['state', 'kind', 'run_at', 'id']).execute()
  await db.schema.createIndex('jobs_group_idx').on('jobs').columns(['group_key', 'state', 'id']).execute()

  await forbidUpdateAndDelete(db, dialect, 'journal')
}

/** The journal is append-only: the database itself refuses UPDATE and DELETE. */
async function forbidUpdateAndDelete(db: Kysely<any>, dialect: 'sqlite' | 'postgres', table: string) {
  if (dialect === 'sqlite') {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(
          `create trigger ${table}_no_${op} before ${op} on ${table} begin select raise(abort, '${table} is append-only'); end`,
        )
        .execute(db)
    }
    return
  }
  await sql
    .raw(
      `create or replace function ${table}_append_only() returns trigger language plpgsql as $$
       begin raise exception '${table} is append-only'; end $$`,
    )
    .execute(db)
  await sql
    .raw(`create trigger ${table}_no_change before update or delete or truncate on ${table} for each statement execute function ${table}_append_only()`)
    .execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'jobs', 'media', 'message_statuses', 'messages', 'conversations', 'contacts', 'unrouted_events',
    'journal', 'channels', 'api_tokens', 'sessions', 'users',
  ]) {
    await db.schema.dropTable(t).ifExists().execute()
  }
}
