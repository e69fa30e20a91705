import { type Kysely, sql } from 'kysely'
import { noUpdate } from './append-only.js'

/** SQL: the event's person is erased and their evidence period has passed (`today` in each engine's words). */
const expired = (today: string) => `exists (select 1 from contacts c where c.id = old.contact_id and c.erased_at is not null and c.erase_after <= ${today})`

/**
 * Consent evidence ends (UWG-7a): an erased person's consent events are kept for a configurable
 * tail after their last use and then deleted by the retention run. Frozen once landed.
 * - The ledger stays closed to changes; deletion becomes possible only for a person who was
 *   erased and whose evidence period has passed (checked by the database itself).
 * - contacts.consent_used_at: the last consent-based send to the person, kept by triggers on every
 *   send (inserted or moved; sends and campaigns alike), because the sends themselves go early (marketing retention, erasure).
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('consent_used_at', 'text').execute()
  await sql`update contacts set consent_used_at = (
    select max(m.timestamp) from messages m join conversations c on c.id = m.conversation_id where c.contact_id = contacts.id and m.purpose is not null)`.execute(db)
  if (dialect === 'sqlite') {
    await sql.raw('drop trigger consent_events_no_delete').execute(db)
    await sql.raw(`create trigger consent_events_no_delete before delete on consent_events when not ${expired("date('now')")} begin select raise(abort, 'consent_events is append-only'); end`).execute(db)
    const body = `update contacts set consent_used_at = max(coalesce(consent_used_at, ''), new.timestamp) where id = (select contact_id from conversations where id = new.conversation_id);`
    await sql.raw(`create trigger contacts_consent_used after insert on messages when new.purpose is not null begin ${body} end`).execute(db)
    await sql.raw(`create trigger contacts_consent_used_update after update of timestamp, purpose on messages when new.purpose is not null begin ${body} end`).execute(db)
    return
  }
  await sql.raw('drop trigger consent_events_no_change on consent_events').execute(db)
  await noUpdate(db, dialect, 'consent_events')
  await sql
    .raw(`create function consent_events_no_delete() returns trigger language plpgsql as $$
      begin
        if not ${expired('current_date::text')} then raise exception 'consent_events is append-only'; end if;
        return old;
      end $$`)
    .execute(db)
  await sql.raw('create trigger consent_events_no_delete before delete on consent_events for each row execute function consent_events_no_delete()').execute(db)
  // (TRUNCATE stays refused.)
  await sql.raw(`create trigger consent_events_no_truncate before truncate on consent_events for each statement execute function consent_events_append_only()`).execute(db)
  await sql
    .raw(`create function postfach_consent_used() returns trigger language plpgsql as $$
      begin
        update contacts set consent_used_at = greatest(coalesce(consent_used_at, ''), new.timestamp)
        where id = (select contact_id from conversations where id = new.conversation_id);
        return null;
      end $$`)
    .execute(db)
  await sql.raw('create trigger contacts_consent_used after insert or update of timestamp, purpose on messages for each row when (new.purpose is not null) execute function postfach_consent_used()').execute(db)
}
