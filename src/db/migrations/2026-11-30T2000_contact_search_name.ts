import { type Kysely, sql } from 'kysely'
import { FOLD_FROM, FOLD_TO } from '../../modules/search/fold.js'

/**
 * Contacts are found by name without accents ("jurgen" finds "Jürgen") as fast as before: the
 * folded name is kept in `contacts.search_name` when a name changes, so the search compares plain
 * text instead of folding every row. PostgreSQL computes it as a stored column with the same
 * function its message index uses; SQLite by triggers with built-in functions only (so every tool
 * that opens the file can still write it). Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') {
    await sql.raw('alter table contacts add column search_name text generated always as (postfach_fold(coalesce(name_override, profile_name))) stored').execute(db)
    return
  }
  await db.schema.alterTable('contacts').addColumn('search_name', 'text').execute()
  const folded = (row: string) => {
    // SQLite's lower() knows only ASCII: capitals with diacritics are mapped first, then the small ones.
    let expr = `lower(coalesce(${row}.name_override, ${row}.profile_name))`
    const pairs = [...FOLD_FROM].map((c, i) => [c, FOLD_TO[i]!] as const)
    for (const [from, to] of [...pairs.map(([c, t]) => [c.toUpperCase(), t] as const), ...pairs]) if (from.length === 1) expr = `replace(${expr}, '${from}', '${to}')`
    return expr
  }
  await sql.raw(`update contacts set search_name = ${folded('contacts')}`).execute(db)
  await sql.raw(`create trigger contacts_search_name_insert after insert on contacts begin update contacts set search_name = ${folded('new')} where id = new.id; end`).execute(db)
  await sql.raw(`create trigger contacts_search_name_update after update of profile_name, name_override on contacts begin update contacts set search_name = ${folded('new')} where id = new.id; end`).execute(db)
}
