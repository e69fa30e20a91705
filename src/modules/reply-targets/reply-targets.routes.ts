import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Db } from '../../db/database.js'
import { ADMIN, STAFF } from '../../platform/http/access.js'
import { saveSettingAudited } from '../settings/audited-setting.js'
import type { OverdueWatcher } from './overdue-watcher.js'
import { readReplyTarget, REPLY_TARGET_KEY, replyTargetSchema } from './reply-clock.js'

/** The reply target: every colleague may read it (the inbox shows it), admins set it. */
export const replyTargetRoutes: FastifyPluginAsync<{ db: Db; watcher: OverdueWatcher }> = async (base, { db, watcher }) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  const tags = ['inbox']
  app.get('/api/settings/reply-target', { config: { access: STAFF }, schema: { tags, response: { 200: replyTargetSchema } } }, async () => readReplyTarget(db))
  app.put('/api/settings/reply-target', { config: { access: ADMIN }, schema: { tags, body: replyTargetSchema.strict(), response: { 200: replyTargetSchema } } }, async (request) => {
    await saveSettingAudited(db, request, REPLY_TARGET_KEY, 'settings.reply_target_changed', request.body)
    // Customers already past a new (shorter) target are told now, not at the next tick.
    void watcher.run()
    return request.body
  })
}
