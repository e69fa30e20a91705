/** A problem+json error from the API, with its stable type. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
  ) {
    super(detail)
  }
}

let csrfToken: string | null = null
export const setCsrfToken = (token: string | null) => {
  csrfToken = token
}

/** JSON requests to our own origin; state changes carry the CSRF token. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  if (res.status === 204) return undefined as T
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok) throw new ApiError(res.status, String(data.type ?? ''), String(data.detail ?? res.statusText))
  return data as T
}

export type User = { id: string; email: string; name: string; role: 'admin' | 'agent' | 'auditor' }
export type Contact = { id: string; waId: string | null; userId: string | null; name: string | null }
export type Conversation = {
  id: string
  status: 'open' | 'pending' | 'resolved'
  assigneeId: string | null
  lastMessageAt: string
  windowExpiresAt: string | null
  contact: Contact
}
export type Message = {
  id: string
  conversationId: string
  wamid: string | null
  direction: 'inbound' | 'outbound'
  type: string
  status: 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'uncertain'
  timestamp: string
  error: { code: number | null; title: string; detail: string | null } | null
  context: { replyTo: string | null; forwarded: boolean; frequentlyForwarded: boolean }
  [content: string]: unknown
}
export type Page<T> = { items: T[]; nextCursor: string | null }
