/*
 * What an agent has begun to write, per conversation, while the app is open: switching to another
 * chat and back finds it again, and a draft never follows the agent into someone else's chat. Kept
 * in memory only — a draft may hold personal data, and the browser's storage outlives the session.
 */
const drafts = new Map<string, string>()

export const draftOf = (conversationId: string): string => drafts.get(conversationId) ?? ''

export function keepDraft(conversationId: string, text: string): void {
  if (text) drafts.set(conversationId, text)
  else drafts.delete(conversationId)
}

/** At logout and login: the next person at this browser starts with none. */
export function forgetDrafts(): void {
  drafts.clear()
}
