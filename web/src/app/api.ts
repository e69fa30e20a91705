import i18n from '../i18n'

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

/**
 * What to tell the user about a failed request: the translation of its problem type when there is
 * one (`problem.window-closed`), else the server's English detail.
 */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return String(err instanceof Error ? err.message : err)
  const key = `problem.${err.type.split('/').pop() ?? ''}`
  return i18n.exists(key) ? i18n.t(key, { detail: err.message }) : err.message
}

let csrfToken: string | null = null
export const setCsrfToken = (token: string | null) => {
  csrfToken = token
}

/**
 * Requests the first screen needs, started before React renders, so that the inbox waits for one
 * round of parallel requests instead of a waterfall. Used once, only if fresh and successful.
 */
const early = new Map<string, { at: number; response: Promise<Response> }>()
export function prefetch(paths: string[]): void {
  for (const path of paths) early.set(path, { at: Date.now(), response: fetch(path, { credentials: 'same-origin' }) })
}
async function prefetched(path: string): Promise<Response | undefined> {
  const hit = early.get(path)
  if (!hit) return undefined
  early.delete(path)
  if (Date.now() - hit.at > 5000) return undefined
  const res = await hit.response.catch(() => undefined)
  return res?.ok ? res : undefined
}

/** JSON requests to our own origin; state changes carry the CSRF token. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken
  const res =
    (method === 'GET' ? await prefetched(path) : undefined) ??
    (await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }))
  return answerOf<T>(res)
}

/** Sends a file as the request body (the profile picture, a data package), with its own content type unless one is given. */
export async function sendFile<T>(method: 'PUT' | 'POST', path: string, file: File, type = file.type): Promise<T> {
  const headers: Record<string, string> = { 'content-type': type }
  if (csrfToken) headers['x-csrf-token'] = csrfToken
  return answerOf<T>(await fetch(path, { method, headers, credentials: 'same-origin', body: file }))
}

async function answerOf<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok) {
    // The company began to require two-factor login while this person was working: start again, so
    // the app shows the setup (the server refuses everything else until it is done).
    if (String(data.type).endsWith('/two-factor-setup-required')) window.location.reload()
    throw new ApiError(res.status, String(data.type ?? ''), String(data.detail ?? res.statusText))
  }
  return data as T
}

export type Role = 'admin' | 'agent' | 'auditor'
export type User = { id: string; email: string; name: string; role: Role }
export type Contact = { id: string; waId: string | null; userId: string | null; name: string | null; firstContactAt: string; lastContactAt: string }
export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'uncertain'
export type Preview = { type: string; direction: 'inbound' | 'outbound'; status: MessageStatus; text: string | null }
export type Conversation = {
  id: string
  status: 'open' | 'pending' | 'resolved'
  /** A waiting conversation's reminder: it opens again then, unless the customer writes first. */
  pendingUntil: string | null
  assigneeId: string | null
  channelId: string
  lastMessageAt: string
  /** When the customer last wrote (WhatsApp's time). */
  lastInboundAt: string | null
  /** The customer's first message since a colleague last answered (null: nobody waits for an answer). */
  awaitingReplySince: string | null
  /** When the answer is due by the reply target (null: no target or nobody waits). */
  replyDueAt: string | null
  windowExpiresAt: string | null
  unreadCount: number
  labelIds: string[]
  lastMessage: Preview | null
  contact: Contact
}
export type Message = {
  id: string
  conversationId: string
  wamid: string | null
  direction: 'inbound' | 'outbound'
  type: string
  status: MessageStatus
  timestamp: string
  error: { code: number | null; title: string; detail: string | null } | null
  context: { replyTo: string | null; forwarded: boolean; frequentlyForwarded: boolean }
  sentBy: string | null
  canResend: boolean
  [content: string]: unknown
}
export type Note = { id: string; conversationId: string; author: { id: string; name: string }; body: string; mentions: string[]; createdAt: string }
export type Label = { id: string; name: string; color: string }
export type TeamMember = { id: string; name: string; role: 'admin' | 'agent' }
export type QuickReply = { id: string; shortcut: string; body: string; scope: 'team' | 'personal' }
export type Template = { name: string; language: string; category: string; body: string; header: string | null; footer: string | null; variables: number }
export type Settings = {
  crmUrlTemplate: string | null
  company: { name: string; address: string; email?: string } | null
  privacyNotice: { url: string; version: string } | null
  /** Colleagues' texts start with their name in bold. */
  signWithName: boolean
}
export type AppNotification = { id: string; kind: 'mention' | 'reminder' | 'assigned' | 'reply_overdue'; conversationId: string; contactName: string | null; actorName: string | null; excerpt: string | null; createdAt: string; readAt: string | null }
export type Page<T> = { items: T[]; nextCursor: string | null }

/** Uploads a file for sending (multipart); answers our media id. */
export async function uploadMedia(file: File): Promise<{ id: string; mimeType: string; size: number; filename: string | null }> {
  const form = new FormData()
  form.append('file', file, file.name)
  const res = await fetch('/api/media', { method: 'POST', body: form, credentials: 'same-origin', headers: csrfToken ? { 'x-csrf-token': csrfToken } : {} })
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>
  if (!res.ok) {
    // The company began to require two-factor login while this person was working: start again, so
    // the app shows the setup (the server refuses everything else until it is done).
    if (String(data.type).endsWith('/two-factor-setup-required')) window.location.reload()
    throw new ApiError(res.status, String(data.type ?? ''), String(data.detail ?? res.statusText))
  }
  return data as { id: string; mimeType: string; size: number; filename: string | null }
}
