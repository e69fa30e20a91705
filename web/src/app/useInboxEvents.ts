import { useEffect, useRef, useState } from 'react'

export type InboxEvent =
  | { type: 'conversation.changed'; conversationId: string }
  | { type: 'inbox.changed' }
  | { type: 'notification'; conversationId: string }
  | { type: 'note.typing'; conversationId: string; userId: string; name: string }
  /** Sent after a reconnect: whatever happened while offline must be refetched. */
  | { type: 'reconnected' }

const TYPES = ['conversation.changed', 'inbox.changed', 'notification', 'note.typing'] as const

/** Subscribes to the server's event stream (one EventSource for the whole app). */
export function useInboxEvents(onEvent: (event: InboxEvent) => void): { online: boolean } {
  const [online, setOnline] = useState(true)
  const handler = useRef(onEvent)
  handler.current = onEvent

  useEffect(() => {
    const source = new EventSource('/api/events')
    let wasOffline = false
    source.onopen = () => {
      setOnline(true)
      if (wasOffline) handler.current({ type: 'reconnected' })
      wasOffline = false
    }
    source.onerror = () => {
      wasOffline = true
      setOnline(false)
    }
    for (const type of TYPES) source.addEventListener(type, (e) => handler.current(JSON.parse((e as MessageEvent<string>).data) as InboxEvent))
    return () => source.close()
  }, [])
  return { online }
}
