import { type Kysely, sql } from 'kysely'
import { FOLD_FROM, FOLD_TO } from '../../modules/search/fold.js'

/**
 * Contact names are found with ß as ss ("strauss" and "STRAUSS" find „Strauß“), as message search
 * does: `contacts.search_name` is recomputed with ß replaced. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') {
    await sql.raw('alter table contacts drop column search_name').execute(db)
    await sql.raw(`alter table contacts add column search_name text generated always as (replace(postfach_fold(coalesce(name_override, profile_name)), 'ß', 'ss')) stored`).execute(db)
    return
  }
  const folded = (row: string) => {
    // As in …2000_contact_search_name (SQLite's lower() knows only ASCII), then ß as ss.
    let expr = `lower(coalesce(${row}.name_override, ${row}.profile_name))`
    const pairs = [...FOLD_FROM].map((c, i) => [c, FOLD_TO[i]!] as const)
    for (const [from, to] of [...pairs.map(([c, t]) => [c.toUpperCase(), t] as const), ...pairs]) if (from.length === 1) expr = `replace(${expr}, '${from}', '${to}')`
    return `replace(${expr}, 'ß', 'ss')`
  }
  await sql.raw('drop trigger contacts_search_name_insert').execute(db)
  await sql.raw('drop trigger contacts_search_name_update').execute(db)
  await sql.raw(`update contacts set search_name = ${folded('contacts')}`).execute(db)
  await sql.raw(`create trigger contacts_search_name_insert after insert on contacts begin update contacts set search_name = ${folded('new')} where id = new.id; end`).execute(db)
  await sql.raw(`create trigger contacts_search_name_update after update of profile_name, name_override on contacts begin update contacts set search_name = ${folded('new')} where id = new.id; end`).execute(db)
}
