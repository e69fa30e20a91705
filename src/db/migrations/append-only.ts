import { type Kysely, sql } from 'kysely'

/**
 * Makes a table append-only in the database itself: UPDATE and DELETE (and TRUNCATE on
 * PostgreSQL) are refused by triggers. (The foundation migration has its own frozen copy.)
 */
export async function appendOnly(db: Kysely<any>, dialect: 'sqlite' | 'postgres', table: string): Promise<void> {
  if (dialect === 'sqlite') {
    for (const op of ['update', 'delete']) {
      await sql.raw(`create trigger ${table}_no_${op} before ${op} on ${table} begin select raise(abort, '${table} is append-only'); end`).execute(db)
    }
    return
  }
  await sql.raw(`create or replace function ${table}_append_only() returns trigger language plpgsql as $$ begin raise exception '${table} is append-only'; end $$`).execute(db)
  await sql.raw(`create trigger ${table}_no_change before update or delete or truncate on ${table} for each statement execute function ${table}_append_only()`).execute(db)
}

/** Rows may be added and, for an erasure, deleted, but never changed. */
export async function noUpdate(db: Kysely<any>, dialect: 'sqlite' | 'postgres', table: string): Promise<void> {
  if (dialect === 'sqlite') {
    await sql.raw(`create trigger ${table}_no_update before update on ${table} begin select raise(abort, '${table} is append-only'); end`).execute(db)
    return
  }
  await sql.raw(`create or replace function ${table}_no_update() returns trigger language plpgsql as $$ begin raise exception '${table} is append-only'; end $$`).execute(db)
  await sql.raw(`create trigger ${table}_no_update before update on ${table} for each statement execute function ${table}_no_update()`).execute(db)
}
