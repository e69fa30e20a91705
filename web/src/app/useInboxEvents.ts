import { useEffect, useRef, useState } from 'react'

/**
 * Subscribes to the server's event stream. Calls `onChange(conversationId?)` for each change and,
 * after a reconnect, once without an id: whatever happened while offline is then refetched.
 */
export function useInboxEvents(onChange: (conversationId?: string) => void): { online: boolean } {
  const [online, setOnline] = useState(true)
  const handler = useRef(onChange)
  handler.current = onChange

  useEffect(() => {
    const source = new EventSource('/api/events')
    let wasOffline = false
    source.onopen = () => {
      setOnline(true)
      if (wasOffline) handler.current()
      wasOffline = false
    }
    source.onerror = () => {
      wasOffline = true
      setOnline(false)
    }
    source.addEventListener('conversation.changed', (e) => handler.current((JSON.parse((e as MessageEvent<string>).data) as { conversationId: string }).conversationId))
    source.addEventListener('inbox.changed', () => handler.current())
    return () => source.close()
  }, [])
  return { online }
}
