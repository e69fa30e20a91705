import path from 'node:path'
import { type App, buildApp, type AppDeps } from './app.js'
import type { Config } from './config.js'
import { type DatabaseHandle, openDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrate.js'
import { hashPassword } from './modules/auth/passwords.js'
import { countUsers, insertUser } from './modules/auth/users.repo.js'
import { newSecret } from './platform/ids.js'
import { recordRelease } from './modules/archive/releases.js'
import { mediaStoreFor } from './modules/media/media-store.js'
import { ensureChannel } from './modules/whatsapp/channels.repo.js'
import { loadCredentials, WhatsAppConnection } from './modules/whatsapp/connection.js'
import { loadSecretBox } from './platform/crypto/secret-box.js'
import { createSimulatorState, SIMULATOR_DEFAULTS, type SimulatorOptions, type SimulatorState } from './simulator/index.js'
import { keepSimulatorMemory } from './simulator/memory-file.js'

export type RunningServer = App & {
  url: string
  database: DatabaseHandle
  simulator: SimulatorState | undefined
  /** The first-start setup state (its token is printed on the console). */
  setup: { token: string | undefined }
  close(): Promise<void>
}

/**
 * A first start: creates the admin from POSTFACH_ADMIN_* when set; otherwise returns a one-time
 * token for the setup page, where a person creates the first admin in the browser.
 */
async function prepareFirstStart(database: DatabaseHandle, config: Config): Promise<{ createdAdmin?: string; setupToken?: string }> {
  if ((await countUsers(database.db)) > 0) return {}
  if (!config.initialAdmin) return { setupToken: newSecret() }
  const { email, password } = config.initialAdmin
  await insertUser(database.db, { email, name: 'Administrator', role: 'admin', passwordHash: await hashPassword(password) })
  return { createdAdmin: email }
}

export type StartOptions = {
  logger?: AppDeps['logger']
  database?: DatabaseHandle
  /** Overrides for the built-in simulator (tests make its statuses fast). */
  simulator?: Pick<SimulatorOptions, 'behaviour' | 'delivery'>
  clock?: AppDeps['clock']
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const database = opts.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, sqliteSynchronous: config.sqliteSynchronous, ...(config.databaseSchema ? { pgSchema: config.databaseSchema } : {}) }))
  await migrateToLatest(database)
  await recordRelease(database.db)
  const firstStart = await prepareFirstStart(database, config)
  const setup = { token: firstStart.setupToken }

  const secretBox = loadSecretBox({ keyFile: config.masterKeyFile, dataDir: config.dataDir })
  // Environment variables win; then credentials an admin saved; else the built-in simulator.
  const saved = config.whatsapp ? undefined : await loadCredentials(database.db, secretBox)
  let url = ''
  const simulator = config.whatsapp || saved
    ? undefined
    : createSimulatorState({
        behaviour: { statusStepMs: config.simulator.statusStepMs, failureRate: config.simulator.failureRate, ...opts.simulator?.behaviour },
        delivery: { duplicateRate: config.simulator.duplicateRate, jitterMs: config.simulator.jitterMs, ...opts.simulator?.delivery },
        webhookUrl: () => `${url}/webhooks/whatsapp`,
        publicBase: () => `${url}/graph`,
      })
  const warnings: string[] = []
  const simulatorMemory = simulator && keepSimulatorMemory(simulator, { file: path.join(config.dataDir, 'simulator.sealed'), box: secretBox, warn: (m) => warnings.push(m) })
  const whatsapp = new WhatsAppConnection(
    config.whatsapp ??
      saved ?? {
        appSecret: SIMULATOR_DEFAULTS.appSecret,
        verifyToken: SIMULATOR_DEFAULTS.verifyToken,
        accessToken: SIMULATOR_DEFAULTS.accessToken,
        phoneNumberId: SIMULATOR_DEFAULTS.phoneNumberId,
        businessAccountId: SIMULATOR_DEFAULTS.wabaId,
        appId: SIMULATOR_DEFAULTS.appId,
        apiBaseUrl: () => `${url}/graph/v26.0`,
      },
    config.whatsapp ? 'environment' : saved ? 'database' : 'simulator',
    config.whatsapp?.messagesPerSecond ?? config.messagesPerSecond,
  )
  await ensureChannel(database.db, { id: whatsapp.phoneNumberId, wabaId: whatsapp.businessAccountId, displayPhoneNumber: simulator?.identity.displayPhoneNumber })

  const built = await buildApp({ config, database, whatsapp, secretBox, setup, mediaStore: mediaStoreFor(config.dataDir, secretBox), simulator, ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.logger !== undefined ? { logger: opts.logger } : {}) })
  const address = await built.app.listen({ port: config.port, host: config.host })
  url = address.replace('://[::1]', '://localhost')
  built.sendWorker.start()
  built.campaigns.start()
  built.jobs.start()
  built.assigner.start()
  built.resolver.start()
  built.overdue.start()
  built.archive.start()
  built.archiveWatch.start()

  const log = built.app.log
  log.info(`Postfach is running at ${config.publicUrl ?? url} (database: ${database.dialect})`)
  for (const w of warnings) log.warn(w)
  if (simulator) {
    log.warn(`No WhatsApp credentials set: using the built-in Cloud API simulator. Customer phone: ${url}/simulator`)
    // Like Meta, check the callback before delivering to it.
    if (!(await simulator.verifyCallback(`${url}/webhooks/whatsapp`, whatsapp.verifyToken))) log.error('The simulator could not verify the webhook callback.')
  }
  if (setup.token) {
    // Printed, not logged: the link must not end up in a log collector.
    process.stdout.write(`\nFirst start: create the administrator at ${config.publicUrl ?? url}/setup?token=${setup.token}\n\n`)
  } else if (firstStart.createdAdmin) log.info(`Created the first admin ${firstStart.createdAdmin}`)
  return {
    ...built,
    url,
    database,
    simulator,
    setup,
    async close() {
      await built.app.close()
      simulatorMemory?.stop()
      await database.destroy()
    },
  }
}
