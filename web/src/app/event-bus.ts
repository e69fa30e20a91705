import { useEffect, useRef } from 'react'
import type { InboxEvent } from './useInboxEvents'

// One EventSource feeds every screen that cares: the shell emits, screens listen.
const listeners = new Set<(e: InboxEvent) => void>()

export const emitInboxEvent = (e: InboxEvent) => {
  for (const l of listeners) l(e)
}

export function useInboxEvent(handler: (e: InboxEvent) => void): void {
  const ref = useRef(handler)
  ref.current = handler
  useEffect(() => {
    const l = (e: InboxEvent) => ref.current(e)
    listeners.add(l)
    return () => void listeners.delete(l)
  }, [])
}
