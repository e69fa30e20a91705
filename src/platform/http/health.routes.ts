import type { FastifyPluginAsync } from 'fastify'
import { sql } from 'kysely'
import type { DatabaseHandle } from '../../db/database.js'
import { migrationsApplied } from '../../db/migrate.js'
import { AppError } from '../errors.js'

/** Liveness (the process answers) and readiness (database reachable, schema current). */
export const healthRoutes: FastifyPluginAsync<{ database: DatabaseHandle }> = async (app, { database }) => {
  const config = { access: 'public' as const }
  app.get('/api/health', { config }, async () => ({ status: 'ok' }))
  app.get('/api/ready', { config }, async () => {
    try {
      await sql`select 1`.execute(database.db)
    } catch (error) {
      throw new AppError('health.database_unreachable', 503, 'The database is not reachable.', { cause: error })
    }
    if (!(await migrationsApplied(database))) throw new AppError('health.migrations_pending', 503, 'Database migrations are pending.')
    return { status: 'ready', database: database.dialect }
  })
}
