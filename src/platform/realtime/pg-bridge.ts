import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import type { DatabaseHandle } from '../../db/database.js'
import type { RealtimeEvent, RealtimeHub } from './hub.js'

/** How often an instance says it is there, and how long after the last word a peer counts as gone. */
const HEARTBEAT_MS = 10_000
const PEER_GONE_MS = 3 * HEARTBEAT_MS
/** After start, events go out before any peer has answered the greeting (it takes a round trip). */
export const START_GRACE_MS = 2_000

type Message = { origin: string; events?: RealtimeEvent[]; hello?: true; here?: true }

/**
 * Carries realtime events between Postfach instances that share one PostgreSQL database: every
 * event published here is sent with NOTIFY; every NOTIFY from another instance is delivered to the
 * browsers connected here. The channel is named after the schema, so installations (and test
 * runs) sharing a server do not hear each other. Events carry ids only, never personal data.
 *
 * Most installations run one instance, and a NOTIFY nobody hears is a round trip per webhook group
 * for nothing: instances greet each other at start (`hello`, answered with `here`) and repeat
 * `here` every ten seconds, and events go out only while another instance was heard from lately.
 */
export async function bridgeHub(hub: RealtimeHub, database: DatabaseHandle, log: { warn(o: object, m: string): void }): Promise<() => Promise<void>> {
  if (!database.listen) return async () => undefined
  const channel = `postfach_events_${database.schema ?? 'public'}`
  const origin = randomUUID()
  const send = (message: Omit<Message, 'origin'>) =>
    void sql`select pg_notify(${channel}, ${JSON.stringify({ origin, ...message })})`.execute(database.db).catch((err: unknown) => log.warn({ err }, 'realtime notify failed'))
  let peerHeardAt = Date.now() - PEER_GONE_MS + START_GRACE_MS
  const stop = await database.listen(channel, (payload) => {
    try {
      const message = JSON.parse(payload) as Message
      if (message.origin === origin) return
      peerHeardAt = Date.now()
      if (message.hello) send({ here: true })
      for (const e of message.events ?? []) hub.deliver(e)
    } catch {
      /* not ours */
    }
  })
  send({ hello: true })
  const heartbeat = setInterval(() => send({ here: true }), HEARTBEAT_MS)
  heartbeat.unref()
  // Events of one tick travel together: a committed webhook group changes many conversations, and
  // one NOTIFY per group (not per conversation) keeps the ingest path free of extra round trips.
  let pending: RealtimeEvent[] = []
  const flush = () => {
    const events = pending
    pending = []
    if (Date.now() - peerHeardAt > PEER_GONE_MS) return // no other instance listens
    for (let i = 0; i < events.length; i += 40) send({ events: events.slice(i, i + 40) }) // well under NOTIFY's 8000 bytes
  }
  hub.onPublish = (event) => {
    if (pending.push(event) === 1) setImmediate(flush)
  }
  return async () => {
    hub.onPublish = undefined
    clearInterval(heartbeat)
    await stop()
  }
}
