import type { FastifyPluginAsync } from 'fastify'
import { STAFF } from '../http/access.js'
import type { RealtimeHub } from './hub.js'

/**
 * `GET /api/events`: server-sent events for the inbox. A comment line every 20 s keeps proxies
 * from closing the stream; the browser's EventSource reconnects by itself, and the app refetches
 * on reconnect, so nothing missed while offline stays missing.
 */
export type EventRoutesOptions = {
  hub: RealtimeHub
  /** Called when a person's stream opens and every `everyMs` while it stays open (presence). */
  onAlive?: { call: (userId: string) => void; everyMs: number }
}

export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, { hub, onAlive }) => {
  const open = new Set<() => void>()
  // Streams never end by themselves: end them so that the server can close.
  app.addHook('onClose', async () => {
    for (const end of open) end()
  })

  app.get('/api/events', { config: { access: STAFF }, schema: { tags: ['realtime'], hide: false } }, async (request, reply) => {
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.write('retry: 2000\n: connected\n\n')
    const me = request.auth?.user?.id
    const unsubscribe = hub.subscribe((event, id) => {
      if (event.type === 'notification' && event.userId !== me) return
      res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)
    })
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 20_000)
    const alive = me && onAlive ? setInterval(() => onAlive.call(me), onAlive.everyMs) : undefined
    if (me && onAlive) onAlive.call(me)
    const end = () => {
      clearInterval(heartbeat)
      clearInterval(alive)
      unsubscribe()
      open.delete(end)
      if (!res.writableEnded) res.end()
    }
    open.add(end)
    request.raw.on('close', end)
  })
}
