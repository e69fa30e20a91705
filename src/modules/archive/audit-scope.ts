import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import type { RetentionClass } from '../../db/schema.js'
import { forbidden } from '../../platform/errors.js'
import { getSetting } from '../settings/settings.repo.js'

/** The tax classes, the only data a tax auditor may see (GOBD-13: no "Gesamtjournal"). */
export const TAX_CLASSES: RetentionClass[] = ['handelsbrief', 'buchungsbeleg', 'buch']

/** The period of the running audit (Prüfungszeitraum); the auditor role sees nothing outside it. */
export const auditScopeSchema = z.object({ from: z.iso.date(), to: z.iso.date() }).refine((s) => s.from <= s.to, { message: 'from must not be after to' })
export type AuditScope = z.infer<typeof auditScopeSchema>

export const readAuditScope = (db: Executor) => getSetting<AuditScope>(db, 'archive.audit_scope')

/**
 * What a request may select: auditors only tax classes, only inside the audit period (403 otherwise);
 * admins anything, so that the operator alone decides to hand over more (GOBD-11 c).
 */
export async function allowedSelection(db: Executor, request: FastifyRequest, s: { from: string; to: string; classes: RetentionClass[] }): Promise<void> {
  if (request.auth?.role !== 'auditor') return
  const outside = s.classes.filter((c) => !TAX_CLASSES.includes(c))
  if (outside.length) throw forbidden(`The audit covers tax-relevant records only; ${outside.join(', ')} is not one.`)
  const scope = await readAuditScope(db)
  if (!scope) throw forbidden('No audit period is set; an administrator sets it under Settings → Archive.')
  if (s.from < scope.from || s.to > scope.to) throw forbidden(`The audit period is ${scope.from} to ${scope.to}.`)
}
