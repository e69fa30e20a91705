import { z } from 'zod'
import type { Executor } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'

/**
 * How new customer messages find a colleague. Off by default: a team that has always picked its
 * conversations from the list keeps doing so until an admin switches it on.
 */
export const assignmentSettingsSchema = z.object({
  /** Give each conversation a customer opens (or writes into while nobody has it) to an available colleague. */
  enabled: z.boolean().default(false),
  /** Admins take part too (otherwise only agents: admins are often team leads who take conversations by hand). */
  includeAdmins: z.boolean().default(false),
  /** At most this many open conversations per colleague; null: no limit. Beyond it, conversations wait unassigned. */
  maxOpenPerPerson: z.number().int().min(1).max(500).nullable().default(null),
})
export type AssignmentSettings = z.infer<typeof assignmentSettingsSchema>
export const ASSIGNMENT_SETTINGS_KEY = 'inbox.assignment'

export const readAssignmentSettings = async (db: Executor): Promise<AssignmentSettings> =>
  assignmentSettingsSchema.catch(assignmentSettingsSchema.parse({})).parse((await getSetting<unknown>(db, ASSIGNMENT_SETTINGS_KEY)) ?? {})
