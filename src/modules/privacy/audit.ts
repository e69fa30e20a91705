import type { FastifyRequest } from 'fastify'
import type { Executor } from '../../db/database.js'
import type { UserRow } from '../../db/schema.js'
import { newId } from '../../platform/ids.js'
import { nowIso } from '../../platform/time.js'

/** What the audit log records: reading, exporting, changing or erasing personal data, and the privacy workflow. */
export type AuditAction =
  | 'conversation.read'
  | 'contact.exported'
  | 'contact.imported'
  | 'consent.evidence_expired'
  | 'consent.existing_customer_recorded'
  | 'contact.corrected'
  | 'contact.erased'
  | 'consent.evidence_viewed'
  | 'dsr.created'
  | 'dsr.extended'
  | 'dsr.identity_verified'
  | 'dsr.completed'
  | 'dsr.refused'
  | 'breach.recorded'
  | 'breach.updated'
  | 'breach.notified'
  | 'processing_record.viewed'
  | 'archive.integrity_failed'
  | 'archive.classified'
  | 'archive.hold_set'
  | 'archive.hold_released'
  | 'archive.hold_blocked'
  | 'archive.shred_refused'
  | 'archive.timeliness_exceeded'
  | 'archive.expired'
  | 'archive.reshredded'
  | 'archive.searched'
  | 'archive.exported'
  | 'settings.automation_changed'
  | 'settings.business_profile_changed'
  | 'settings.security_changed'
  | 'settings.assignment_changed'
  | 'settings.auto_resolve_changed'
  | 'settings.reply_target_changed'
  | 'template.created'
  | 'template.deleted'
  | 'channel.alert_acknowledged'
  | 'campaign.created'
  | 'campaign.started'
  | 'campaign.cancelled'
  | 'contact.restriction_lift_requested'
  | 'contact.restriction_lifted'
  // Who may get in (Art. 32: access control must be traceable): accounts, passwords, sessions, API tokens.
  | 'user.created'
  | 'user.changed'
  | 'user.password_changed'
  | 'user.two_factor_enabled'
  | 'user.two_factor_disabled'
  | 'user.two_factor_reset'
  | 'user.recovery_codes_renewed'
  | 'user.recovery_code_used'
  | 'session.signed_out'
  | 'token.created'
  | 'token.revoked'

export type AuditEntry = {
  action: AuditAction
  target: string
  contactId?: string | null
  /** References and counts only: never message text, names or numbers. */
  detail?: Record<string, unknown>
}

/** Who did it, from where: the authenticated user or token (or the person signing in), the client address and agent. */
function actorOf(request: FastifyRequest | undefined, signingIn: Pick<UserRow, 'id' | 'role'> | undefined) {
  const auth = request?.auth
  const from = { ip: request?.ip ?? null, user_agent: request?.headers['user-agent']?.slice(0, 300) ?? null }
  if (auth?.kind === 'token') return { actor_id: auth.tokenId, actor_kind: 'token' as const, actor_role: auth.role, ...from }
  const user = auth ? { id: auth.user.id, role: auth.role } : signingIn
  return user ? { actor_id: user.id, actor_kind: 'user' as const, actor_role: user.role, ...from } : { actor_id: null, actor_kind: 'system' as const, actor_role: null, ...from }
}

/**
 * Appends to the audit log (append-only in the database). Written in the caller's transaction
 * where there is one, so an action and its record commit together.
 */
export async function audit(db: Executor, request: FastifyRequest | undefined, entry: AuditEntry, signingIn?: Pick<UserRow, 'id' | 'role'>): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ id: newId(), at: nowIso(), ...actorOf(request, signingIn), action: entry.action, contact_id: entry.contactId ?? null, target: entry.target, detail: JSON.stringify(entry.detail ?? {}) })
    .execute()
}

/**
 * Reading a conversation is logged once per person and conversation per quarter hour: enough to
 * show who saw whose data and when, without a write for every page an agent scrolls.
 */
export class ReadAudit {
  private readonly last = new Map<string, number>()
  constructor(private readonly windowMs = 15 * 60_000) {}

  async conversationRead(db: Executor, request: FastifyRequest, c: { id: string; contact_id: string }): Promise<void> {
    const auth = request.auth
    const key = `${auth?.kind === 'token' ? auth.tokenId : (auth?.user?.id ?? '-')}:${c.id}`
    const now = Date.now()
    if (now - (this.last.get(key) ?? 0) < this.windowMs) return
    this.last.set(key, now)
    if (this.last.size > 20_000) for (const [k, at] of this.last) if (now - at >= this.windowMs) this.last.delete(k)
    await audit(db, request, { action: 'conversation.read', target: `conversation:${c.id}`, contactId: c.contact_id })
  }
}
