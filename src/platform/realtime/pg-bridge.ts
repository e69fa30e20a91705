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
      const message = JSON.parse(payload) as { origin: string; event: RealtimeEvent }
      if (message.origin !== origin) hub.deliver(message.event)
    } catch {
      /* not ours */
    }
  })
  hub.onPublish = (event) => {
    sql`select pg_notify(${channel}, ${JSON.stringify({ origin, event })})`.execute(database.db).catch((err: unknown) => log.warn({ err }, 'realtime notify failed'))
  }
  return async () => {
    hub.onPublish = undefined
    await stop()
  }
}
