import path from 'node:path'
import { type App, buildApp, type AppDeps } from './app.js'
import type { Config } from './config.js'
import { type DatabaseHandle, openDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrate.js'
import { hashPassword } from './modules/auth/passwords.js'
import { countUsers, insertUser } from './modules/auth/users.repo.js'
import { newSecret } from './platform/ids.js'
import { FileMediaStore } from './modules/media/media-store.js'
import { ensureChannel } from './modules/whatsapp/channels.repo.js'
import { createSimulatorState, SIMULATOR_DEFAULTS, type SimulatorOptions, type SimulatorState } from './simulator/index.js'

export type RunningServer = App & { url: string; database: DatabaseHandle; simulator: SimulatorState | undefined; close(): Promise<void> }

/** Creates the first admin from POSTFACH_ADMIN_* when the database has no user yet. */
async function ensureInitialAdmin(database: DatabaseHandle, config: Config): Promise<{ email: string; generatedPassword?: string } | undefined> {
  if ((await countUsers(database.db)) > 0) return undefined
  // Without POSTFACH_ADMIN_*, a first start still lets a person log in: a generated password is
  // shown once on the console (never stored in plain text) and can be changed afterwards.
  const admin = config.initialAdmin ?? { email: 'admin@postfach.local', password: newSecret().slice(0, 20) }
  await insertUser(database.db, { email: admin.email, name: 'Administrator', role: 'admin', passwordHash: await hashPassword(admin.password) })
  return config.initialAdmin ? { email: admin.email } : { email: admin.email, generatedPassword: admin.password }
}

/**
 * Boots Postfach: database and migrations, the first admin, the Cloud API (real or the built-in
 * simulator when no credentials are set), HTTP, then the workers.
 */
export type StartOptions = {
  logger?: AppDeps['logger']
  database?: DatabaseHandle
  /** Overrides for the built-in simulator (tests make its statuses fast). */
  simulator?: Pick<SimulatorOptions, 'behaviour' | 'delivery'>
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const database = opts.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, sqliteSynchronous: config.sqliteSynchronous, ...(config.databaseSchema ? { pgSchema: config.databaseSchema } : {}) }))
  await migrateToLatest(database)
  const createdAdmin = await ensureInitialAdmin(database, config)

  let url = ''
  const simulator = config.whatsapp
    ? undefined
    : createSimulatorState({
        behaviour: { statusStepMs: config.simulator.statusStepMs, failureRate: config.simulator.failureRate, ...opts.simulator?.behaviour },
        delivery: { duplicateRate: config.simulator.duplicateRate, jitterMs: config.simulator.jitterMs, ...opts.simulator?.delivery },
        webhookUrl: () => `${url}/webhooks/whatsapp`,
        publicBase: () => `${url}/graph`,
      })
  const whatsapp: AppDeps['whatsapp'] = config.whatsapp ?? {
    appSecret: SIMULATOR_DEFAULTS.appSecret,
    verifyToken: SIMULATOR_DEFAULTS.verifyToken,
    accessToken: SIMULATOR_DEFAULTS.accessToken,
    phoneNumberId: SIMULATOR_DEFAULTS.phoneNumberId,
    businessAccountId: SIMULATOR_DEFAULTS.wabaId,
    apiBaseUrl: () => `${url}/graph/v26.0`,
    messagesPerSecond: config.messagesPerSecond,
  }
  await ensureChannel(database.db, { id: whatsapp.phoneNumberId, wabaId: whatsapp.businessAccountId, displayPhoneNumber: simulator?.identity.displayPhoneNumber })

  const built = await buildApp({ config, database, whatsapp, mediaStore: new FileMediaStore(path.join(config.dataDir, 'media')), simulator, ...(opts.logger !== undefined ? { logger: opts.logger } : {}) })
  const address = await built.app.listen({ port: config.port, host: config.host })
  url = address.replace('://[::1]', '://localhost')
  built.sendWorker.start()
  built.jobs.start()

  const log = built.app.log
  log.info(`Postfach is running at ${config.publicUrl ?? url} (database: ${database.dialect})`)
  if (simulator) {
    log.warn(`No WhatsApp credentials set: using the built-in Cloud API simulator. Customer phone: ${url}/simulator`)
    // Like Meta, check the callback before delivering to it.
    if (!(await simulator.verifyCallback(`${url}/webhooks/whatsapp`, whatsapp.verifyToken))) log.error('The simulator could not verify the webhook callback.')
  }
  if (createdAdmin?.generatedPassword) {
    // Printed, not logged: the password must not end up in a log collector.
    process.stdout.write(`\nFirst start: log in as ${createdAdmin.email} with the password ${createdAdmin.generatedPassword}\n\n`)
  } else if (createdAdmin) log.info(`Created the first admin ${createdAdmin.email}`)
  return {
    ...built,
    url,
    database,
    simulator,
    async close() {
      await built.app.close()
      await database.destroy()
    },
  }
}
