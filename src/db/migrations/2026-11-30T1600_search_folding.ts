import { type Kysely, sql } from 'kysely'
import { FOLD_FROM, FOLD_TO } from '../../modules/search/fold.js'

/**
 * PostgreSQL's message search ignores diacritics, as SQLite's FTS5 does ("jose" finds "José",
 * "koln" finds "Köln"): the stored tsvector is built from the folded text. The column is rebuilt
 * (a stored generated column keeps its values when only its function changes). Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect !== 'postgres') return
  await sql
    .raw(`create or replace function postfach_fold(t text) returns text language sql immutable parallel safe as $$ select translate(lower(t), '${FOLD_FROM}', '${FOLD_TO}') $$`)
    .execute(db)
  await sql.raw('alter table messages drop column search').execute(db)
  await sql.raw(`alter table messages add column search tsvector generated always as (to_tsvector('simple', postfach_fold(postfach_message_text(content, type)))) stored`).execute(db)
  await sql.raw('create index messages_search_idx on messages using gin (search) with (fastupdate = off)').execute(db)
}
