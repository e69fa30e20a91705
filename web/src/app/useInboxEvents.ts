import { useEffect, useRef, useState } from 'react'

export type InboxEvent =
  | { type: 'conversation.changed'; conversationId: string }
  | { type: 'inbox.changed' }
  | { type: 'notification'; conversationId: string }
  | { type: 'note.typing'; conversationId: string; userId: string; name: string }
  /** Sent whenever the stream (re)opens: whatever happened while it was not open must be refetched. */
  | { type: 'reconnected' }

const TYPES = ['conversation.changed', 'inbox.changed', 'notification', 'note.typing'] as const

/**
 * Subscribes to the server's event stream (one EventSource for the whole app). Only where
 * `enabled`: the stream is the inbox's, and a role without it (the auditor) would be refused,
 * retried every few seconds and shown as offline for good.
 */
export function useInboxEvents(onEvent: (event: InboxEvent) => void, enabled: boolean): { online: boolean } {
  const [online, setOnline] = useState(true)
  const handler = useRef(onEvent)
  handler.current = onEvent

  useEffect(() => {
    if (!enabled) return
    const source = new EventSource('/api/events')
    source.onopen = () => {
      setOnline(true)
      // Also on the first open: a change between the first page load and the subscription would
      // otherwise be missed until the next one.
      handler.current({ type: 'reconnected' })
    }
    source.onerror = () => setOnline(false)
    for (const type of TYPES) source.addEventListener(type, (e) => handler.current(JSON.parse((e as MessageEvent<string>).data) as InboxEvent))
    return () => source.close()
  }, [enabled])
  return { online }
}
