import type { FastifyRequest } from 'fastify'
import type { Db } from '../../db/database.js'
import { type AuditAction, audit } from '../privacy/audit.js'
import { putSetting } from './settings.repo.js'

/** An admin's change of a workspace setting and its audit entry, in one transaction. */
export const saveSettingAudited = (db: Db, request: FastifyRequest, key: string, action: AuditAction, value: Record<string, unknown>) =>
  db.transaction().execute(async (tx) => {
    await putSetting(tx, key, value, request.auth?.user?.id ?? null)
    await audit(tx, request, { action, target: `settings:${key}`, detail: value })
  })
