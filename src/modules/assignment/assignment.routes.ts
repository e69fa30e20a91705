import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Db } from '../../db/database.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { listOf } from '../../platform/http/cursor.js'
import { ownSession } from '../auth/own-account.js'
import type { AuditAction } from '../privacy/audit.js'
import { saveSettingAudited } from '../settings/audited-setting.js'
import { ASSIGNMENT_SETTINGS_KEY, assignmentSettingsSchema, readAssignmentSettings } from './assignment-settings.js'
import type { AutoAssigner } from './assigner.js'
import { AUTO_RESOLVE_KEY, autoResolveSchema, type InactiveResolver, readAutoResolve } from './inactive-resolver.js'
import { readAvailability, setAvailability, teamStatus } from './presence.repo.js'

const availabilitySchema = z.object({ availability: z.enum(['available', 'away']).describe('available: takes conversations from automatic assignment; away: takes none') })
const memberStatus = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(['admin', 'agent']),
  availability: z.enum(['available', 'away']),
  /** Has the app open now. */
  present: z.boolean(),
  /** Open conversations assigned to them. */
  open: z.number().int(),
})

/** Automatic assignment and resolving quiet conversations: the admin's settings, each colleague's availability, and the team's status board. */
export const assignmentRoutes: FastifyPluginAsync<{ db: Db; assigner: AutoAssigner; resolver: InactiveResolver }> = async (base, { db, assigner, resolver }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['assignment']
  const saveAudited = (request: FastifyRequest, key: string, action: AuditAction, value: Record<string, unknown>) => saveSettingAudited(db, request, key, action, value)

  app.get('/api/settings/assignment', { config: { access: ADMIN }, schema: { tags, response: { 200: assignmentSettingsSchema } } }, async () => readAssignmentSettings(db))
  app.put('/api/settings/assignment', { config: { access: ADMIN }, schema: { tags, body: assignmentSettingsSchema.strict(), response: { 200: assignmentSettingsSchema } } }, async (request) => {
    const settings = request.body
    await saveAudited(request, ASSIGNMENT_SETTINGS_KEY, 'settings.assignment_changed', settings)
    assigner.remember(settings)
    assigner.poke()
    return settings
  })

  // Answered conversations the customer never came back to: resolved after so many days (null: never).
  app.get('/api/settings/auto-resolve', { config: { access: ADMIN }, schema: { tags, response: { 200: autoResolveSchema } } }, async () => readAutoResolve(db))
  app.put('/api/settings/auto-resolve', { config: { access: ADMIN }, schema: { tags, body: autoResolveSchema.strict(), response: { 200: autoResolveSchema } } }, async (request) => {
    await saveAudited(request, AUTO_RESOLVE_KEY, 'settings.auto_resolve_changed', request.body)
    void resolver.run()
    return request.body
  })

  // Who is there and how much each has: for the team lead, and for colleagues handing a conversation on.
  app.get('/api/team/status', { config: { access: STAFF }, schema: { tags, response: { 200: listOf(memberStatus) } } }, async () => ({
    items: (await teamStatus(db)).map(({ lastAssignedAt: _, ...m }) => m),
    nextCursor: null,
  }))

  // One's own availability (a signed-in person's; an API token has none: 400).
  app.get('/api/auth/availability', { config: { access: STAFF }, schema: { tags, response: { 200: availabilitySchema } } }, async (request) => ({
    availability: await readAvailability(db, ownSession(request).user.id),
  }))
  app.put('/api/auth/availability', { config: { access: STAFF }, schema: { tags, body: availabilitySchema, response: { 200: availabilitySchema } } }, async (request) => {
    await setAvailability(db, ownSession(request).user.id, request.body.availability)
    if (request.body.availability === 'available') assigner.poke()
    return request.body
  })
}
