import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { DatabaseHandle } from '../../db/database.js'
import type { RealtimeEvent, RealtimeHub } from './hub.js'

/**
 * Carries realtime events between Postfach instances that share one PostgreSQL database: every
 * event published here is sent with NOTIFY; every NOTIFY from another instance is delivered to the
 * browsers connected here. The channel is named after the schema, so installations (and test
 * runs) sharing a server do not hear each other. Events carry ids only, never personal data.
 */
export async function bridgeHub(hub: RealtimeHub, database: DatabaseHandle, log: { warn(o: object, m: string): void }): Promise<() => Promise<void>> {
  if (!database.listen) return async () => undefined
  const channel = `postfach_events_${database.schema ?? 'public'}`
  const origin = randomUUID()
  const stop = await database.listen(channel, (payload) => {
    try {
      const message = JSON.parse(payload) as { origin: string; events: RealtimeEvent[] }
      if (message.origin !== origin) for (const e of message.events) hub.deliver(e)
    } catch {
      /* not ours */
    }
  })
  // Events of one tick travel together: a committed webhook group changes many conversations, and
  // one NOTIFY per group (not per conversation) keeps the ingest path free of extra round trips.
  let pending: RealtimeEvent[] = []
  const flush = () => {
    const events = pending
    pending = []
    for (let i = 0; i < events.length; i += 40) {
      const payload = JSON.stringify({ origin, events: events.slice(i, i + 40) }) // well under NOTIFY's 8000 bytes
      sql`select pg_notify(${channel}, ${payload})`.execute(database.db).catch((err: unknown) => log.warn({ err }, 'realtime notify failed'))
    }
  }
  hub.onPublish = (event) => {
    if (pending.push(event) === 1) setImmediate(flush)
  }
  return async () => {
    hub.onPublish = undefined
    await stop()
  }
}
