import { type Kysely, sql } from 'kysely'

/**
 * Contact names are encrypted at rest (GDPR-32; the app seals them, see ContactDetails), so the
 * folded plaintext copy `contacts.search_name` goes, and a blind index of the shown name's words
 * takes its place: `contact_terms`, keyed by (term, contact id). Stored names are sealed and
 * indexed by the app at its next start. Frozen once landed.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'sqlite') {
    await sql.raw('drop trigger if exists contacts_search_name_insert').execute(db)
    await sql.raw('drop trigger if exists contacts_search_name_update').execute(db)
    await sql.raw('alter table contacts drop column search_name').execute(db)
    await sql.raw('create table contact_terms (term integer not null, contact_id text not null, primary key (term, contact_id)) without rowid').execute(db)
  } else {
    await sql.raw('alter table contacts drop column search_name').execute(db)
    await sql.raw('create table contact_terms (term bigint not null, contact_id text not null, primary key (term, contact_id))').execute(db)
  }
  await sql.raw('create index contact_terms_contact on contact_terms (contact_id)').execute(db)
}
