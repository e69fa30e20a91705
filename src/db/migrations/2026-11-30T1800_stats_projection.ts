import { type Kysely, sql } from 'kysely'

/**
 * Statistics kept as the messages change, so that the dashboard reads aggregates instead of
 * scanning a year of messages. Frozen once landed.
 * - stats_changes: an append-only change log written by triggers on messages and resolutions, so
 *   that every writer (ingest, sends, status updates, erasure, expiry) is counted; inserts only,
 *   so concurrent ingest never waits on a shared counter row. The statistics projector drains it.
 * - stats_message_hours: messages per UTC hour, number, direction and status.
 * - stats_durations: every customer turn (asked → first agent answer) and every resolution
 *   (opened → resolved), with the instant it is counted at and the UTC day of it.
 * - stats_day_revisions: bumped whenever a day's counts or durations change, so that each server process can
 *   keep days in memory and reload only the changed ones.
 * Existing messages and resolutions are logged once, so the projector builds the statistics of an
 * existing installation in the background.
 */
export async function up(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const serial = dialect === 'postgres' ? sql`bigint generated always as identity primary key` : sql`integer primary key autoincrement`
  await db.schema
    .createTable('stats_changes')
    .addColumn('id', serial as any)
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull()) // message | resolution
    .addColumn('at', 'text', (c) => c.notNull()) // the message's time or the resolution's
    .addColumn('direction', 'text')
    .addColumn('status', 'text')
    .addColumn('delta', 'integer', (c) => c.notNull()) // +1 or -1
    .addColumn('timing', 'integer', (c) => c.notNull()) // 1 when turns or resolution times may change
    .execute()

  await db.schema
    .createTable('stats_message_hours')
    .addColumn('hour', 'text', (c) => c.notNull()) // YYYY-MM-DDTHH (UTC)
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_message_hours_pk', ['hour', 'channel_id', 'direction', 'status'])
    .execute()

  await db.schema
    .createTable('stats_durations')
    .addColumn('id', serial as any)
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // response | resolution
    .addColumn('at', 'text', (c) => c.notNull()) // counted at: asked (response), resolved (resolution)
    .addColumn('day', 'text', (c) => c.notNull()) // UTC date of `at`
    .addColumn('began', 'text') // asked / first customer message of the case; null when none
    .addColumn('seconds', dialect === 'postgres' ? 'double precision' : 'real') // null while unanswered, or without an opening message
    .addColumn('answered_by', 'text')
    .execute()
  await db.schema.createIndex('stats_durations_day_idx').on('stats_durations').columns(['day']).execute()
  await db.schema.createIndex('stats_durations_conversation_idx').on('stats_durations').columns(['conversation_id', 'kind', 'at']).execute()

  await db.schema
    .createTable('stats_day_revisions')
    .addColumn('day', 'text', (c) => c.primaryKey())
    .addColumn('rev', 'integer', (c) => c.notNull())
    .execute()

  // Conversations started in a period, counted without reading them all.
  await db.schema.createIndex('conversations_created_idx').on('conversations').columns(['created_at']).execute()

  if (dialect === 'postgres') await postgresTriggers(db)
  else await sqliteTriggers(db)

  await sql`insert into stats_changes (conversation_id, channel_id, kind, at, direction, status, delta, timing)
    select m.conversation_id, c.channel_id, 'message', m.timestamp, m.direction, m.status, 1, 1
    from messages m join conversations c on c.id = m.conversation_id where m.type <> 'reaction' order by m.timestamp`.execute(db)
  await sql`insert into stats_changes (conversation_id, channel_id, kind, at, direction, status, delta, timing)
    select r.conversation_id, null, 'resolution', r.resolved_at, null, null, 1, 1 from conversation_resolutions r`.execute(db)
}

const CHANNEL = (row: string) => `(select channel_id from conversations where id = ${row}.conversation_id)`
const COLUMNS = 'conversation_id, channel_id, kind, at, direction, status, delta, timing'
/** A change of anything but the status may move turns and resolution times. */
const TIMING_CHANGED = `old.timestamp is not new.timestamp or old.direction is not new.direction or old.type is not new.type
  or old.conversation_id is not new.conversation_id or old.sent_by is not new.sent_by`
const TIMING = `case when ${TIMING_CHANGED} then 1 else 0 end`

async function sqliteTriggers(db: Kysely<any>) {
  const message = (row: 'old' | 'new', delta: number, timing: string) =>
    `insert into stats_changes (${COLUMNS}) select ${row}.conversation_id, ${CHANNEL(row)}, 'message', ${row}.timestamp, ${row}.direction, ${row}.status, ${delta}, ${timing} where ${row}.type <> 'reaction';`
  const resolution = (row: 'old' | 'new', delta: number) => `insert into stats_changes (${COLUMNS}) values (${row}.conversation_id, null, 'resolution', ${row}.resolved_at, null, null, ${delta}, 1);`
  for (const statement of [
    `create trigger stats_message_insert after insert on messages begin ${message('new', 1, '1')} end`,
    `create trigger stats_message_update after update of status, timestamp, direction, type, conversation_id, sent_by on messages
      when old.status is not new.status or ${TIMING_CHANGED}
      begin ${message('old', -1, TIMING)} ${message('new', 1, TIMING)} end`,
    `create trigger stats_message_delete after delete on messages begin ${message('old', -1, '1')} end`,
    `create trigger stats_resolution_insert after insert on conversation_resolutions begin ${resolution('new', 1)} end`,
    `create trigger stats_resolution_update after update of resolved_at, conversation_id on conversation_resolutions begin ${resolution('old', -1)} ${resolution('new', 1)} end`,
    `create trigger stats_resolution_delete after delete on conversation_resolutions begin ${resolution('old', -1)} end`,
  ])
    await sql.raw(statement).execute(db)
}

async function postgresTriggers(db: Kysely<any>) {
  const timing = TIMING.replaceAll(' is not ', ' is distinct from ')
  await sql
    .raw(`create function postfach_stats_message_change() returns trigger language plpgsql as $$
      declare t integer := 1;
      begin
        if tg_op = 'UPDATE' then
          t := ${timing};
          if t = 0 and old.status is not distinct from new.status then return null; end if;
        end if;
        if tg_op in ('UPDATE', 'DELETE') and old.type <> 'reaction' then
          insert into stats_changes (${COLUMNS}) values (old.conversation_id, ${CHANNEL('old')}, 'message', old.timestamp, old.direction, old.status, -1, t);
        end if;
        if tg_op in ('INSERT', 'UPDATE') and new.type <> 'reaction' then
          insert into stats_changes (${COLUMNS}) values (new.conversation_id, ${CHANNEL('new')}, 'message', new.timestamp, new.direction, new.status, 1, t);
        end if;
        return null;
      end $$`)
    .execute(db)
  await sql
    .raw(`create trigger stats_message_change after insert or delete or update of status, timestamp, direction, type, conversation_id, sent_by on messages
      for each row execute function postfach_stats_message_change()`)
    .execute(db)
  await sql
    .raw(`create function postfach_stats_resolution_change() returns trigger language plpgsql as $$
      begin
        if tg_op = 'UPDATE' and old.resolved_at is not distinct from new.resolved_at and old.conversation_id is not distinct from new.conversation_id then return null; end if;
        if tg_op in ('UPDATE', 'DELETE') then
          insert into stats_changes (${COLUMNS}) values (old.conversation_id, null, 'resolution', old.resolved_at, null, null, -1, 1);
        end if;
        if tg_op in ('INSERT', 'UPDATE') then
          insert into stats_changes (${COLUMNS}) values (new.conversation_id, null, 'resolution', new.resolved_at, null, null, 1, 1);
        end if;
        return null;
      end $$`)
    .execute(db)
  await sql
    .raw(`create trigger stats_resolution_change after insert or delete or update of resolved_at, conversation_id on conversation_resolutions
      for each row execute function postfach_stats_resolution_change()`)
    .execute(db)
}
