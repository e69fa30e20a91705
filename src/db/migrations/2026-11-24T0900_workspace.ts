import { type Kysely, sql } from 'kysely'

/**
 * The team's workspace around conversations: labels, private notes with mentions, notifications,
 * quick replies, settings, read state (unread counts) and full-text search over messages.
 * Frozen once landed, like every migration.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // When (our created_at) the newest inbound message the team has seen was stored; unread = inbound stored after it.
  await db.schema.alterTable('conversations').addColumn('read_up_to', 'text').execute()
  await db.schema.createIndex('conversations_contact_idx').on('conversations').column('contact_id').execute()

  await db.schema
    .createTable('labels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('color', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('conversation_labels')
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('label_id', 'text', (c) => c.notNull().references('labels.id').onDelete('cascade'))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('conversation_labels_pk', ['conversation_id', 'label_id'])
    .execute()
  await db.schema.createIndex('conversation_labels_label_idx').on('conversation_labels').columns(['label_id', 'conversation_id']).execute()

  // Private notes: inside the conversation for the team, never sent to WhatsApp.
  await db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('author_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('mentions', 'text', (c) => c.notNull()) // JSON array of user ids
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('notes_conversation_idx').on('notes').columns(['conversation_id', 'created_at']).execute()

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('note_id', 'text')
    .addColumn('actor_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .execute()
  await db.schema.createIndex('notifications_user_idx').on('notifications').columns(['user_id', 'created_at']).execute()

  // Saved replies by shortcut: owner null = shared with the team, else personal.
  await db.schema
    .createTable('quick_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shortcut', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // Admin-editable settings as JSON values by key (CRM link template and what later issues add).
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await (dialect === 'sqlite' ? sqliteSearch(db) : postgresSearch(db))
}

/**
 * The searchable text of a message: text body, media caption or file name, button/list titles.
 * Content that is not JSON (ciphertext, shredded) yields nothing rather than failing the insert.
 */
const SQLITE_TEXT = (row: string) => `case when json_valid(${row}.content) then trim(
  coalesce(json_extract(${row}.content, '$.text.body'), '') || ' ' ||
  coalesce(json_extract(${row}.content, '$.' || ${row}.type || '.caption'), '') || ' ' ||
  coalesce(json_extract(${row}.content, '$.document.filename'), '') || ' ' ||
  coalesce(json_extract(${row}.content, '$.interactive.button_reply.title'), '') || ' ' ||
  coalesce(json_extract(${row}.content, '$.interactive.list_reply.title'), '') || ' ' ||
  coalesce(json_extract(${row}.content, '$.button.text'), '')) end`

async function sqliteSearch(db: Kysely<any>) {
  // Contentful FTS5 table kept by triggers, so every insert path (ingest, sends) is indexed.
  await sql
    .raw(`create virtual table messages_fts using fts5(body, message_id unindexed, conversation_id unindexed, tokenize = 'unicode61 remove_diacritics 2')`)
    .execute(db)
  await sql
    .raw(`create trigger messages_fts_insert after insert on messages when ${SQLITE_TEXT('new')} <> '' begin
      insert into messages_fts (body, message_id, conversation_id) values (${SQLITE_TEXT('new')}, new.id, new.conversation_id);
    end`)
    .execute(db)
  await sql
    .raw(`create trigger messages_fts_update after update of content on messages begin
      delete from messages_fts where message_id = old.id;
      insert into messages_fts (body, message_id, conversation_id) select ${SQLITE_TEXT('new')}, new.id, new.conversation_id where ${SQLITE_TEXT('new')} <> '';
    end`)
    .execute(db)
  await sql.raw(`create trigger messages_fts_delete after delete on messages begin delete from messages_fts where message_id = old.id; end`).execute(db)
}

async function postgresSearch(db: Kysely<any>) {
  await sql
    .raw(`create or replace function postfach_message_text(content text, type text) returns text
      language sql immutable parallel safe as $$
        -- Only JSON content is indexed: ciphertext (written by the archive, never starting with '{') yields ''.
        select case when left(content, 1) = '{' then (
          select trim(concat_ws(' ', j #>> '{text,body}', j -> type ->> 'caption', j #>> '{document,filename}',
            j #>> '{interactive,button_reply,title}', j #>> '{interactive,list_reply,title}', j #>> '{button,text}'))
          from (select content::jsonb as j) parsed) else '' end
      $$`)
    .execute(db)
  await sql
    .raw(`alter table messages add column search tsvector generated always as (to_tsvector('simple', postfach_message_text(content, type))) stored`)
    .execute(db)
  await sql.raw(`create index messages_search_idx on messages using gin (search) with (fastupdate = off)`).execute(db)
  // Search walks the newest messages first (common words); see search.repo.ts.
  await sql.raw(`create index messages_timestamp_idx on messages (timestamp desc, id desc)`).execute(db)
}

export async function down(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'sqlite') await sql.raw('drop table if exists messages_fts').execute(db)
  else await sql.raw('alter table messages drop column if exists search').execute(db)
  for (const t of ['settings', 'quick_replies', 'notifications', 'notes', 'conversation_labels', 'labels']) await db.schema.dropTable(t).ifExists().execute()
}
