import { type Kysely, sql } from 'kysely'

/**
 * Message contents are encrypted at rest (GDPR-32; the app seals them, see MessageVault), so the
 * full-text indexes over their plaintext go: SQLite's FTS5 table and PostgreSQL's tsvector column.
 * The blind index `message_terms` takes their place: keyed hashes of word prefixes per message,
 * keyed by (term, message id) so that a search walks one term's postings newest first and probes
 * the others. A trigger removes a message's terms with it, whatever deletes it (erasure, expiry).
 * Stored contents are sealed and indexed by the app at its next start. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // The contents still to seal (after an upgrade; rows written by other tools): found at each start without a scan.
  await sql.raw('create index messages_unsealed on messages (id) where key_id is null').execute(db)
  if (dialect === 'sqlite') {
    for (const t of ['messages_fts_insert', 'messages_fts_update', 'messages_fts_delete']) await sql.raw(`drop trigger if exists ${t}`).execute(db)
    await sql.raw('drop table if exists messages_fts').execute(db)
    await sql.raw('create table message_terms (term integer not null, message_id text not null, primary key (term, message_id)) without rowid').execute(db)
    await sql.raw('create index message_terms_message on message_terms (message_id)').execute(db)
    await sql.raw('create trigger message_terms_delete after delete on messages begin delete from message_terms where message_id = old.id; end').execute(db)
    return
  }
  await sql.raw('drop index if exists messages_search_idx').execute(db)
  await sql.raw('alter table messages drop column if exists search').execute(db)
  await sql.raw('drop function if exists postfach_message_text(text, text)').execute(db)
  await sql.raw('create table message_terms (term bigint not null, message_id text not null, primary key (term, message_id))').execute(db)
  await sql.raw('create index message_terms_message on message_terms (message_id)').execute(db)
  await sql
    .raw(`create function postfach_message_terms_delete() returns trigger language plpgsql as $$
      begin delete from message_terms where message_id in (select id from gone); return null; end $$`)
    .execute(db)
  await sql.raw('create trigger message_terms_delete after delete on messages referencing old table as gone for each statement execute function postfach_message_terms_delete()').execute(db)
}
