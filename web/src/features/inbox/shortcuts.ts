import { useEffect, useRef } from 'react'

/** Focus in a field: keys are text there, not commands. */
const isTyping = (el: Element | null) => !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el as HTMLElement).isContentEditable)

/** The single-key commands of the inbox, in the order the overview lists them (`keys` as shown). */
export const SHORTCUTS = [
  { keys: ['J', '↓'], action: 'next' },
  { keys: ['K', '↑'], action: 'previous' },
  { keys: ['R'], action: 'reply' },
  { keys: ['A'], action: 'assignMe' },
  { keys: ['E'], action: 'resolve' },
  { keys: ['U'], action: 'unread' },
  { keys: ['/', 'Ctrl K'], action: 'search' },
  { keys: ['Esc'], action: 'close' },
  { keys: ['?'], action: 'help' },
] as const

/**
 * Calls the handler named by a plain key press (no Ctrl, Alt or Meta): never while the focus is in
 * a field or a dialog is open, so typing an "e" in a reply resolves nothing. Handlers are read
 * at the key press, so callers need not memoise them.
 */
export function useKeyCommands(handlers: Partial<Record<string, () => void>>): void {
  const current = useRef(handlers)
  current.current = handlers
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.altKey || e.metaKey || e.defaultPrevented || isTyping(document.activeElement)) return
      if (document.querySelector('[aria-modal="true"]')) return
      const handler = current.current[e.key.length === 1 ? e.key.toLowerCase() : e.key]
      if (!handler) return
      e.preventDefault()
      handler()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
