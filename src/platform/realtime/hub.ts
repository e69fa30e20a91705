/**
 * In-process fan-out of what changed, published after commit. Browsers subscribe through
 * `GET /api/events` (server-sent events) and refetch what an event names. With several instances
 * on PostgreSQL, events travel between them by LISTEN/NOTIFY (pg-bridge.ts).
 */
export type RealtimeEvent =
  | { type: 'conversation.changed'; conversationId: string }
  | { type: 'inbox.changed' }
  /** Addressed to one user only (an @mention); the stream delivers it to that user alone. */
  | { type: 'notification'; userId: string; conversationId: string }
  | { type: 'note.typing'; conversationId: string; userId: string; name: string }

type Listener = (event: RealtimeEvent, id: number) => void

export class RealtimeHub {
  private readonly listeners = new Set<Listener>()
  private seq = 0

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called for every event published here, so that other instances can receive it (see pg-bridge). */
  onPublish: ((event: RealtimeEvent) => void) | undefined

  publish(event: RealtimeEvent): void {
    this.deliver(event)
    this.onPublish?.(event)
  }

  /** Delivers to this instance's subscribers only (events that another instance published). */
  deliver(event: RealtimeEvent): void {
    const id = ++this.seq
    for (const l of this.listeners) l(event, id)
  }

  /** Publishes one `conversation.changed` per distinct id. */
  conversationsChanged(ids: Iterable<string>): void {
    for (const conversationId of new Set(ids)) this.publish({ type: 'conversation.changed', conversationId })
  }

  get subscribers(): number {
    return this.listeners.size
  }
}
