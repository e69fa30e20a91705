import { sql } from 'kysely'
import type { Dialect, Executor } from '../../db/database.js'
import type { JobRow } from '../../db/schema.js'
import { newId } from '../ids.js'
import { isoPlus, nowIso } from '../time.js'
import { insertRows } from '../../db/insert-rows.js'

/**
 * Durable jobs in the same database as the data they act on: a job is enqueued in the transaction
 * that makes it necessary, so it exists exactly when its cause was committed.
 */
export async function enqueueJob(
  db: Executor,
  kind: string,
  payload: Record<string, unknown>,
  opts: { runAt?: string; groupKey?: string } = {},
): Promise<string> {
  const now = nowIso()
  const id = newId()
  await db
    .insertInto('jobs')
    .values({ id, kind, group_key: opts.groupKey ?? null, payload: JSON.stringify(payload), state: 'queued', run_at: opts.runAt ?? now, attempts: 0, lease_until: null, last_error: null, created_at: now, updated_at: now })
    .execute()
  return id
}

/** Enqueues several jobs in one statement (the ingest path queues media downloads this way). */
export async function enqueueJobs(db: Executor, jobs: { kind: string; payload: Record<string, unknown>; groupKey?: string }[]): Promise<void> {
  if (jobs.length === 0) return
  const now = nowIso()
  await insertRows(
    db,
    'jobs',
    jobs.map((j) => ({ id: newId(), kind: j.kind, group_key: j.groupKey ?? null, payload: JSON.stringify(j.payload), state: 'queued' as const, run_at: now, attempts: 0, lease_until: null, last_error: null, created_at: now, updated_at: now })),
  )
}

/**
 * Claims up to `limit` due jobs of a kind for `leaseMs`: marks them running and counts the attempt.
 * A job with a group key is claimed only when no older job of its group is queued or running, so
 * a group's jobs run one at a time and in order, across any number of workers.
 * On PostgreSQL concurrent workers skip each other's rows (FOR UPDATE SKIP LOCKED); SQLite
 * serialises writers, so the claim is atomic there by construction.
 */
export async function claimJobs(db: Executor, dialect: Dialect, kind: string, limit: number, leaseMs: number): Promise<JobRow[]> {
  const now = nowIso()
  const due = db
    .selectFrom('jobs')
    .select('id')
    .where('kind', '=', kind)
    .where('state', '=', 'queued')
    .where('run_at', '<=', now)
    .where(({ eb, not, exists, selectFrom, ref }) =>
      eb.or([
        eb('group_key', 'is', null),
        not(
          exists(
            selectFrom('jobs as earlier')
              .select('earlier.id')
              .whereRef('earlier.group_key', '=', ref('jobs.group_key'))
              .where('earlier.state', 'in', ['queued', 'running'])
              .where((e) => e.or([e('earlier.state', '=', 'running'), e('earlier.id', '<', ref('jobs.id'))])),
          ),
        ),
      ]),
    )
    .orderBy('run_at')
    .orderBy('id')
    .limit(limit)
  const ids = dialect === 'postgres' ? due.forUpdate().skipLocked() : due
  const claimed = await db
    .updateTable('jobs')
    .set({ state: 'running', lease_until: isoPlus(now, leaseMs), attempts: sql`attempts + 1`, updated_at: now })
    .where('id', 'in', ids)
    .returningAll()
    .execute()
  // RETURNING gives no order; callers rely on oldest first.
  return claimed.sort((a, b) => a.run_at.localeCompare(b.run_at) || a.id.localeCompare(b.id))
}

export async function completeJob(db: Executor, id: string): Promise<void> {
  await db.updateTable('jobs').set({ state: 'done', lease_until: null, updated_at: nowIso() }).where('id', '=', id).execute()
}

export async function failJob(db: Executor, id: string, error: string): Promise<void> {
  await db.updateTable('jobs').set({ state: 'failed', lease_until: null, last_error: error.slice(0, 2000), updated_at: nowIso() }).where('id', '=', id).execute()
}

/** Puts a job back in the queue to run again after `delayMs`. */
export async function retryJobLater(db: Executor, id: string, delayMs: number, error: string): Promise<void> {
  const now = nowIso()
  await db
    .updateTable('jobs')
    .set({ state: 'queued', run_at: isoPlus(now, delayMs), lease_until: null, last_error: error.slice(0, 2000), updated_at: now })
    .where('id', '=', id)
    .execute()
}

/** Running jobs whose lease ran out: their worker died (or hangs) mid-job. */
export const findExpiredLeases = (db: Executor, kind: string) =>
  db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('state', '=', 'running').where('lease_until', '<', nowIso()).execute()

/** Exponential backoff with full jitter: 1 s, 2 s, 4 s … capped, times a random factor in [0.5, 1]. */
export function backoffMs(attempt: number, capMs = 5 * 60_000): number {
  const base = Math.min(capMs, 1000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.5 + Math.random() * 0.5))
}
