import type { Executor } from '../../db/database.js'
import { isoPlus, nowIso } from '../../platform/time.js'

export type Availability = 'available' | 'away'

/**
 * Someone counts as present while their app is open: its live-update stream renews the mark every
 * minute, so a closed laptop or browser stops counting within PRESENCE_MS, on any instance.
 */
export const PRESENCE_RENEW_MS = 60_000
export const PRESENCE_MS = 150_000

/** A colleague without a row has never chosen: available, as someone who just signed in expects. */
const DEFAULT_AVAILABILITY: Availability = 'available'

export async function readAvailability(db: Executor, userId: string): Promise<Availability> {
  const row = await db.selectFrom('team_presence').select('availability').where('user_id', '=', userId).executeTakeFirst()
  return row?.availability ?? DEFAULT_AVAILABILITY
}

export async function setAvailability(db: Executor, userId: string, availability: Availability): Promise<void> {
  await db
    .insertInto('team_presence')
    .values({ user_id: userId, availability, present_at: null, last_assigned_at: null })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ availability }))
    .execute()
}

/** Marks the person present now; answers whether they were absent before (they just arrived). */
export async function markPresent(db: Executor, userId: string, now = nowIso()): Promise<boolean> {
  const before = await db.selectFrom('team_presence').select('present_at').where('user_id', '=', userId).executeTakeFirst()
  await db
    .insertInto('team_presence')
    .values({ user_id: userId, availability: DEFAULT_AVAILABILITY, present_at: now, last_assigned_at: null })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ present_at: now }))
    .execute()
  return !before?.present_at || before.present_at < isoPlus(now, -PRESENCE_MS)
}

export type TeamMemberStatus = { id: string; name: string; role: 'admin' | 'agent'; availability: Availability; present: boolean; open: number; lastAssignedAt: string | null }

/** Every active admin and agent with their availability, presence and open conversations. */
export async function teamStatus(db: Executor, now = nowIso()): Promise<TeamMemberStatus[]> {
  const since = isoPlus(now, -PRESENCE_MS)
  const rows = await db
    .selectFrom('users')
    .leftJoin('team_presence', 'team_presence.user_id', 'users.id')
    .select((eb) => [
      'users.id',
      'users.name',
      'users.role',
      'team_presence.availability',
      'team_presence.present_at',
      'team_presence.last_assigned_at',
      eb.selectFrom('conversations').select((c) => c.fn.countAll<number | string>().as('n')).whereRef('conversations.assignee_id', '=', 'users.id').where('conversations.status', '=', 'open').as('open'),
    ])
    .where('users.active', '=', 1)
    .where('users.role', '!=', 'auditor')
    .orderBy('users.name')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    role: r.role as 'admin' | 'agent',
    availability: r.availability ?? DEFAULT_AVAILABILITY,
    present: r.present_at !== null && r.present_at >= since,
    open: Number(r.open ?? 0),
    lastAssignedAt: r.last_assigned_at,
  }))
}
