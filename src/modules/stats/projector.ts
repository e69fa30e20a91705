import { type RawBuilder, sql } from 'kysely'
import { type Db, type Dialect, type Executor, relaxedTransaction } from '../../db/database.js'
import type { StatsChangesTable } from '../../db/schema.js'
import { inChunks } from '../../platform/chunks.js'
import { customerTurns, type TurnMessage } from './turns.js'

/**
 * Changes taken from the log per transaction when someone waits for the figures, and in the
 * background: there smaller still, with a pause between transactions, so that a webhook never
 * waits long for SQLite's single writer or the event loop (a batch of 250 holds them ~15 ms).
 */
const BATCH = 250
const BACKGROUND_BATCH = 50
/** Conversations recomputed per statement. */
const CONVERSATIONS = 300
/**
 * Serializes projectors across server processes on PostgreSQL (pg_advisory_xact_lock key; with the
 * schema's hash as second key, so installations sharing a database do not wait for each other).
 */
const LOCK_KEY = 71_642_300
/** Waits for the projector lock of this schema, held until the transaction ends (PostgreSQL). */
export const takeProjectorLock = (tx: Executor) => sql`select pg_advisory_xact_lock(${LOCK_KEY}, hashtext(current_schema()))`.execute(tx)

type Change = Omit<StatsChangesTable, 'id'> & { id: number | string }
const dayOf = (at: string) => at.slice(0, 10)

/**
 * Keeps the statistics in step with the messages: drains the change log written by the triggers
 * into hourly message counts, and recomputes the customer turns and resolutions of every
 * conversation whose timing changed. One projector at a time (an advisory lock on PostgreSQL,
 * the single writer on SQLite); each batch commits with the removal of its changes, so a crash
 * loses nothing and counts nothing twice.
 */
export class StatsProjector {
  private pending: Promise<number> | null = null
  private running: Promise<unknown> = Promise.resolve()
  private busy = false
  /** A request waits: a gentle run in progress stops pausing. */
  private hurry = false

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  /** Resolves once every change committed before the call has been applied (a waiting request: at full speed). */
  catchUp(): Promise<number> {
    this.hurry = true
    // A run already waiting to start will see this caller's changes too.
    this.pending ??= this.running.then(() => {
      this.pending = null
      const run = this.drain(false)
      this.running = run.catch(() => undefined)
      return run
    })
    return this.pending
  }

  /**
   * Applies what is there at half speed — each transaction is followed by a pause as long as it
   * took — so that a backlog (after a burst of webhooks) never crowds out ingest. Skipped while
   * another run is going or waiting.
   */
  background(): Promise<number> {
    if (this.pending || this.busy) return Promise.resolve(0)
    const run = this.drain(true)
    this.running = run.catch(() => undefined)
    return run
  }

  /** Resolves when no run is in progress or waiting (before the database closes). */
  async idle(): Promise<void> {
    await this.pending?.catch(() => undefined)
    await this.running
  }

  private async drain(gentle: boolean): Promise<number> {
    if (!gentle) this.hurry = false
    this.busy = true
    try {
      let total = 0
      for (;;) {
        const started = performance.now()
        const limit = gentle && !this.hurry ? BACKGROUND_BATCH : BATCH
        // Relaxed durability: a batch lost in a power cut is lost with the removal of its changes, which are then applied again.
        const n = await relaxedTransaction({ db: this.db, dialect: this.dialect }, async (tx) => {
          if (this.dialect === 'postgres') await takeProjectorLock(tx)
          const changes = await this.take(tx, limit)
          if (changes.length) await apply(tx, changes)
          return changes.length
        })
        total += n
        if (n < limit) return total
        const pause = gentle && !this.hurry ? performance.now() - started : 0
        await new Promise((resolve) => (pause > 0 ? setTimeout(resolve, pause) : setImmediate(resolve)))
      }
    } finally {
      this.busy = false
    }
  }

  private async take(tx: Executor, limit: number): Promise<Change[]> {
    if (this.dialect === 'postgres') {
      // One statement: exactly the rows it returns are removed, however many commit meanwhile.
      const rows = await sql<Change>`delete from stats_changes where id in (select id from stats_changes order by id limit ${limit}) returning *`.execute(tx)
      return rows.rows
    }
    const rows = await tx.selectFrom('stats_changes').selectAll().orderBy('id').limit(limit).execute()
    if (rows.length) await tx.deleteFrom('stats_changes').where('id', '<=', rows.at(-1)!.id).execute()
    return rows
  }
}

async function apply(tx: Executor, changes: Change[]) {
  const days = new Set(await addMessageCounts(tx, changes))
  // Turns are recomputed from the earliest message a change touched; resolutions when one changed
  // or a message moved before one (a message after the last resolution opens the next case, which has no figures yet).
  const since = new Map<string, string>()
  /** Conversations whose only changes are new customer messages: these may just lengthen an open turn. */
  const onlyCustomerMessages = new Set<string>()
  const resolutionChanged = new Set<string>()
  for (const c of changes) {
    if (c.kind === 'message' && !c.timing) continue
    if (c.kind === 'resolution') {
      resolutionChanged.add(c.conversation_id)
      continue
    }
    const known = since.get(c.conversation_id)
    if (known === undefined || c.at < known) since.set(c.conversation_id, c.at)
    const customerMessage = Number(c.delta) > 0 && c.direction === 'inbound'
    if (known === undefined && customerMessage) onlyCustomerMessages.add(c.conversation_id)
    else if (!customerMessage) onlyCustomerMessages.delete(c.conversation_id)
  }
  await inChunks([...since], async (chunk) => {
    const unchanged = await lengthenOpenTurns(tx, chunk.filter(([id]) => onlyCustomerMessages.has(id)))
    for (const day of await recomputeTurns(tx, chunk.filter(([id]) => !unchanged.has(id)))) days.add(day)
    for (const id of await resolvedSince(tx, chunk)) resolutionChanged.add(id)
  }, CONVERSATIONS)
  await inChunks([...resolutionChanged], async (chunk) => {
    for (const day of await recomputeResolutions(tx, chunk)) days.add(day)
  }, CONVERSATIONS)
  await inChunks([...days], async (chunk) => {
    await tx
      .insertInto('stats_day_revisions')
      .values(chunk.map((day) => ({ day, rev: 1 })))
      .onConflict((oc) => oc.column('day').doUpdateSet({ rev: sql`stats_day_revisions.rev + 1` }))
      .execute()
  })
}

/** Adds the changes to the hourly counts; returns the days they touched. */
async function addMessageCounts(tx: Executor, changes: Change[]): Promise<string[]> {
  const sums = new Map<string, { hour: string; channel_id: string; direction: string; status: string; n: number }>()
  for (const c of changes) {
    if (c.kind !== 'message' || !c.channel_id || !c.direction || !c.status) continue
    const key = `${c.at.slice(0, 13)}|${c.channel_id}|${c.direction}|${c.status}`
    const row = sums.get(key) ?? { hour: c.at.slice(0, 13), channel_id: c.channel_id, direction: c.direction, status: c.status, n: 0 }
    row.n += Number(c.delta)
    sums.set(key, row)
  }
  const rows = [...sums.values()].filter((r) => r.n !== 0)
  await inChunks(rows, async (chunk) => {
    await tx
      .insertInto('stats_message_hours')
      .values(chunk)
      .onConflict((oc) => oc.columns(['hour', 'channel_id', 'direction', 'status']).doUpdateSet({ n: sql`stats_message_hours.n + excluded.n` }))
      .execute()
  }, 500)
  return rows.map((r) => r.hour.slice(0, 10))
}

/** `with t(id, since) as (values …)` over conversation ids and instants. */
function pairs(entries: [string, string][]): RawBuilder<unknown> {
  return sql`with t(id, since) as (values ${sql.join(entries.map(([id, at]) => sql`(${id}, ${at})`))})`
}

/**
 * The conversations whose new customer messages all follow the start of a turn still waiting for
 * an answer: they join that turn, whose start stays and which has no figure until an agent writes,
 * so its facts stay as they are — without reading the turn's messages again, which grow as long as
 * nobody answers.
 */
async function lengthenOpenTurns(tx: Executor, entries: [string, string][]): Promise<Set<string>> {
  if (!entries.length) return new Set()
  // The conversation's latest turn (an open one first among equals) must be open and begun by
  // then. A scalar subquery per row: PostgreSQL cannot turn it into a join, so each row is one
  // index lookup even where the table's statistics are stale (no autovacuum: a join was planned
  // as a scan of the table per row, 40 ms per batch at 5,500 turns).
  const rows = await sql<{ id: string }>`${pairs(entries)}
    select t.id from t
    where (select case when d.seconds is null and d.at <= t.since then 1 else 0 end from stats_durations d
      where d.conversation_id = t.id and d.kind = 'response' order by d.at desc, d.seconds is null desc limit 1) = 1`.execute(tx)
  return new Set(rows.rows.map((r) => r.id))
}

/**
 * Recomputes the customer turns of each conversation from the turn in progress at the earliest
 * change (turns before it cannot change). Returns the days whose facts changed.
 */
async function recomputeTurns(tx: Executor, entries: [string, string][]): Promise<string[]> {
  if (!entries.length) return []
  const starts = await sql<{ id: string; start: string | null }>`${pairs(entries)}
    select t.id, (select max(d.at) from stats_durations d where d.conversation_id = t.id and d.kind = 'response' and d.at <= t.since) as start from t`.execute(tx)
  const from: [string, string][] = starts.rows.map((r) => [r.id, r.start ?? ''])
  const removed = await sql<{ day: string }>`${pairs(from)}
    delete from stats_durations where id in (select d.id from t join stats_durations d on d.conversation_id = t.id and d.kind = 'response' and d.at >= t.since)
    returning day`.execute(tx)
  const messages = await sql<TurnMessage & { conversation_id: string; channel_id: string }>`${pairs(from)}
    select m.conversation_id, c.channel_id, m.timestamp, m.direction, m.sent_by
    from t join messages m on m.conversation_id = t.id and m.timestamp >= t.since join conversations c on c.id = t.id
    where m.type <> 'reaction' and (m.direction = 'inbound' or m.sent_by is not null)
    order by m.conversation_id, m.timestamp, m.id`.execute(tx)
  const byConversation = new Map<string, (TurnMessage & { channel_id: string })[]>()
  for (const m of messages.rows) {
    const rows = byConversation.get(m.conversation_id)
    if (rows) rows.push(m)
    else byConversation.set(m.conversation_id, [m])
  }
  const facts = [...byConversation].flatMap(([conversationId, rows]) =>
    customerTurns(rows).map((t) => ({
      conversation_id: conversationId, channel_id: rows[0]!.channel_id, kind: 'response' as const, at: t.askedAt, day: dayOf(t.askedAt), began: t.askedAt,
      seconds: t.answeredAt ? (Date.parse(t.answeredAt) - Date.parse(t.askedAt)) / 1000 : null, answered_by: t.answeredBy,
    })),
  )
  await inChunks(facts, (chunk) => tx.insertInto('stats_durations').values(chunk).execute(), 500)
  return [...removed.rows.map((r) => r.day), ...facts.map((f) => f.day)]
}

/** The conversations with a resolution at or after the given instant. */
async function resolvedSince(tx: Executor, entries: [string, string][]): Promise<string[]> {
  // Per row, as in lengthenOpenTurns: one index lookup each, whatever the statistics.
  const rows = await sql<{ id: string }>`${pairs(entries)}
    select t.id from t
    where (select 1 from conversation_resolutions r where r.conversation_id = t.id and r.resolved_at >= t.since limit 1) is not null`.execute(tx)
  return rows.rows.map((r) => r.id)
}

/** Recomputes every resolution of the conversations: from the first customer message after the previous resolution. */
async function recomputeResolutions(tx: Executor, ids: string[]): Promise<string[]> {
  const removed = await tx.deleteFrom('stats_durations').where('kind', '=', 'resolution').where('conversation_id', 'in', ids).returning('day').execute()
  const rows = await sql<{ conversation_id: string; channel_id: string; resolved_at: string; opened: string | null }>`
    select r.conversation_id, c.channel_id, r.resolved_at,
      (select min(i.timestamp) from messages i
        where i.conversation_id = r.conversation_id and i.direction = 'inbound' and i.type <> 'reaction' and i.timestamp <= r.resolved_at
          and i.timestamp > coalesce((select max(p.resolved_at) from conversation_resolutions p where p.conversation_id = r.conversation_id and p.resolved_at < r.resolved_at), '')) as opened
    from conversation_resolutions r join conversations c on c.id = r.conversation_id
    where r.conversation_id in (${sql.join(ids)})`.execute(tx)
  const facts = rows.rows.map((r) => ({
    conversation_id: r.conversation_id, channel_id: r.channel_id, kind: 'resolution' as const, at: r.resolved_at, day: dayOf(r.resolved_at), began: r.opened,
    seconds: r.opened ? (Date.parse(r.resolved_at) - Date.parse(r.opened)) / 1000 : null, answered_by: null,
  }))
  await inChunks(facts, (chunk) => tx.insertInto('stats_durations').values(chunk).execute(), 500)
  return [...removed.map((r) => r.day), ...facts.map((f) => f.day)]
}
