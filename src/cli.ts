import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from './config.js'
import { openDatabase } from './db/database.js'
import { migrateToLatest } from './db/migrate.js'
import type { Role } from './db/schema.js'
import { createApiToken } from './modules/auth/api-tokens.js'
import { hashPassword } from './modules/auth/passwords.js'
import { revokeUserSessions } from './modules/auth/sessions.js'
import { disableTwoFactor } from './modules/auth/two-factor.js'
import { findUserByEmail, insertUser } from './modules/auth/users.repo.js'
import { audit } from './modules/privacy/audit.js'
import { startServer } from './main.js'
import { mediaStoreFor } from './modules/media/media-store.js'
import { loadArchiveKey } from './modules/archive/signing-key.js'
import { type VerifyOptions, type VerifyReport, verifyArchive } from './modules/archive/verify.js'
import { type BundleReport, verifyBundleZip } from './modules/archive/bundle.js'
import { DataKeys } from './modules/archive/data-keys.js'
import { JournalSealer } from './modules/archive/journal-sealer.js'
import { MessageVault } from './modules/inbox/message-vault.js'
import { loadSecretBox } from './platform/crypto/secret-box.js'
import { rotateMasterKey } from './platform/crypto/rotate.js'
import { offboard } from './modules/offboarding/offboard.js'

const USAGE = `Usage: postfach <command>

  serve                                     start the server (default)
  help                                      show this text (also --help after any command)
  migrate                                   apply database migrations
  user create --email E --name N --role R   create a user (password from POSTFACH_NEW_PASSWORD or --password)
  user reset-two-factor --email E           switch off a user's two-factor login (lost phone and recovery
                                            codes, and no other admin to do it); ends their sessions
  token create --name N --role R            create an API token (printed once)
  archive verify [--json] [--threads N]     recompute the archive's log and check every checkpoint,
                                            journal entry and media file; exit 1 naming each problem
                                            (--threads: threads reading the log, 1 for this one only;
                                            default for large logs one per core, on PostgreSQL two
                                            per three cores, at most 4; --slice-leaves: a power of two)
  archive verify-bundle <zip>               check an exported archive bundle offline (no database)
  keys rotate-master --new-key-file F       re-wrap every data key and stored secret with the key in F
                                            (stop Postfach first; back up DATA_DIR and the database)
  offboard --export F --yes                 end of use: write everything to the ZIP F (Z3 archive and
                                            every table), then delete every table and every file in
                                            DATA_DIR, and print what is left (nothing); stop Postfach first

Roles: admin, agent, auditor. Configuration comes from environment variables (see README).`

const ROLES = new Set(['admin', 'agent', 'auditor'])

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [command = 'serve', sub, ...rest] = argv
  try {
    if (command === 'help' || argv.includes('--help') || argv.includes('-h')) {
      console.log(USAGE)
      return 0
    }
    // Offline: needs neither configuration nor database.
    if (command === 'archive' && sub === 'verify-bundle') {
      if (!rest[0]) throw new UsageError('archive verify-bundle needs the path of the ZIP')
      if (!fs.existsSync(rest[0])) throw new UsageError(`there is no file ${rest[0]}`)
      // A file that cannot be read as a bundle (not a ZIP, a path leading outside it) is a bundle that is not intact.
      const report = await verifyBundleZip(rest[0]).catch((error: Error): BundleReport => ({ ok: false, problems: [`the file cannot be checked as a bundle: ${error.message}`], entries: 0, media: 0, messages: 0 }))
      for (const p of report.problems) console.log(`FAIL ${p}`)
      console.log(`${report.entries} journal entries, ${report.media} media files, ${report.messages} messages checked.`)
      console.log(report.ok ? 'The bundle is intact and every original is in the signed log.' : 'The bundle is NOT intact.')
      return report.ok ? 0 : 1
    }
    // serve and migrate take no arguments: a flag such as --port would be ignored, so it is refused.
    if ((command === 'serve' || command === 'migrate') && argv.length > 1) throw new UsageError(`${command} takes no arguments; configure it with environment variables (PORT, HOST, DATABASE_URL …, see README)`)
    const config = loadConfig()
    if (command === 'serve') {
      const server = await startServer(config)
      const stop = async (signal: string) => {
        server.app.log.info(`${signal}: shutting down`)
        await server.close()
        process.exit(0)
      }
      process.once('SIGTERM', () => void stop('SIGTERM'))
      process.once('SIGINT', () => void stop('SIGINT'))
      return await new Promise<number>(() => {}) // runs until a signal
    }
    let closed = false
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, sqliteSynchronous: config.sqliteSynchronous, ...(config.databaseSchema ? { pgSchema: config.databaseSchema } : {}) })
    try {
      const applied = await migrateToLatest(database)
      if (command === 'migrate') {
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.')
        return 0
      }
      const args = sub === undefined || sub.startsWith('--') ? [...(sub ? [sub] : []), ...rest] : rest
      const { values } = usage(() => parseArgs({ args, options: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' }, json: { type: 'boolean' }, threads: { type: 'string' }, 'slice-leaves': { type: 'string' }, 'new-key-file': { type: 'string' }, export: { type: 'string' }, yes: { type: 'boolean' } } }))
      if (values.role && !ROLES.has(values.role)) throw new UsageError(`--role must be one of admin, agent, auditor`)
      if (command === 'user' && sub === 'create') {
        const password = values.password ?? process.env.POSTFACH_NEW_PASSWORD
        if (!values.email || !values.role || !password) throw new UsageError('user create needs --email, --role and a password')
        if (password.length < 12) throw new UsageError('the password must have at least 12 characters')
        if (await findUserByEmail(database.db, values.email)) throw new UsageError(`a user ${values.email} exists already`)
        const user = await insertUser(database.db, { email: values.email, name: values.name ?? values.email, role: values.role as Role, passwordHash: await hashPassword(password) })
        console.log(`Created ${user.role} ${user.email} (${user.id})`)
        return 0
      }
      if (command === 'user' && sub === 'reset-two-factor') {
        if (!values.email) throw new UsageError('user reset-two-factor needs --email')
        const user = await findUserByEmail(database.db, values.email)
        if (!user) throw new UsageError(`there is no user ${values.email}`)
        if (!user.totp_secret && !user.totp_pending) {
          console.log(`${user.email} has no two-factor login; nothing changed.`)
          return 0
        }
        await database.db.transaction().execute(async (tx) => {
          await disableTwoFactor(tx, user.id)
          await revokeUserSessions(tx, user.id)
          await audit(tx, undefined, { action: 'user.two_factor_reset', target: `user:${user.id}`, detail: { via: 'cli' } })
        })
        console.log(`Two-factor login of ${user.email} is off; they sign in with the password and can set it up again.`)
        return 0
      }
      if (command === 'archive' && sub === 'verify') {
        const box = loadSecretBox({ keyFile: config.masterKeyFile, dataDir: config.dataDir })
        const sealer = new JournalSealer(new DataKeys(box, config.dataDir), box)
        const report = await verifyArchive(database, loadArchiveKey({ keyFile: config.archiveKeyFile, dataDir: config.dataDir }), mediaStoreFor(config.dataDir, box), sealer, verifyOptions(values))
        if (values.json) console.log(JSON.stringify(report, null, 2))
        else printVerifyReport(report)
        return report.ok ? 0 : 1
      }
      if (command === 'keys' && sub === 'rotate-master') {
        if (!values['new-key-file']) throw new UsageError('keys rotate-master needs --new-key-file')
        const result = await rotateMasterKey(database.db, { keyFile: config.masterKeyFile, dataDir: config.dataDir, newKeyFile: values['new-key-file'] })
        console.log(`Re-wrapped ${result.dataKeys} data keys and ${result.secrets} stored secrets.`)
        console.log(result.replacedDefault ? `The master key in ${result.masterKeyFile} is now the new one; the old one was removed.` : `Now set POSTFACH_MASTER_KEY_FILE=${values['new-key-file']} and destroy the old key file.`)
        return 0
      }
      if (command === 'offboard') {
        if (!values.export) throw new UsageError('offboard needs --export with the path of the ZIP to write')
        if (!values.yes) throw new UsageError('offboard deletes the whole installation after the export; confirm with --yes')
        const box = loadSecretBox({ keyFile: config.masterKeyFile, dataDir: config.dataDir })
        const keys = new DataKeys(box, config.dataDir)
        closed = true // offboard closes it before deleting its files
        const report = await offboard(database, { dataDir: config.dataDir, exportFile: values.export, key: loadArchiveKey({ keyFile: config.archiveKeyFile, dataDir: config.dataDir }), store: mediaStoreFor(config.dataDir, box), sealer: new JournalSealer(keys, box), vault: new MessageVault(keys, box) })
        console.log(JSON.stringify(report, null, 2))
        if (config.masterKeyFile || config.archiveKeyFile) console.log('Key files outside DATA_DIR were not touched: destroy them yourself.')
        return report.purge.tablesRemaining.length === 0 && report.purge.rowsRemaining === 0 && report.purge.filesRemaining.length === 0 ? 0 : 1
      }
      if (command === 'token' && sub === 'create') {
        if (!values.name || !values.role) throw new UsageError('token create needs --name and --role')
        const { token } = await createApiToken(database.db, { name: values.name, role: values.role as Role, createdBy: null })
        console.log(token)
        return 0
      }
      throw new UsageError(`unknown command: ${argv.join(' ')}`)
    } finally {
      if (!closed) await database.destroy()
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UsageError) {
      console.error(`postfach: ${error.message}`)
      if (error instanceof UsageError) console.error(`\n${USAGE}`)
      return 2
    }
    console.error(error)
    return 1
  }
}

class UsageError extends Error {}

/** Arguments the parser refuses (an unknown option, a missing value) are usage errors: exit code 2 and the usage text. */
function usage<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** `--threads N` and `--slice-leaves N` of `archive verify`, checked. */
function verifyOptions(values: { threads?: string | undefined; 'slice-leaves'?: string | undefined }): VerifyOptions {
  const o: VerifyOptions = {}
  if (values.threads !== undefined) {
    const n = Number(values.threads)
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('--threads must be a whole number from 1 to 64')
    o.workers = n - 1 // this thread reads slices too
  }
  if (values['slice-leaves'] !== undefined) {
    const n = Number(values['slice-leaves'])
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 30 || !Number.isInteger(Math.log2(n))) throw new UsageError('--slice-leaves must be a power of two')
    o.sliceLeaves = n
  }
  return o
}

function printVerifyReport(r: VerifyReport) {
  console.log(`${r.leaves} log entries, ${r.checkpoints} checkpoints, ${r.media} media files and ${r.messages} messages checked; ${r.pending} entries not yet in the log.`)
  if (r.workers > 0) console.log(`(The log was read in ${r.slices} slices on ${r.workers + 1} threads.)`)
  for (const p of r.problems) {
    const where = [p.leafIndex !== undefined && `entry ${p.leafIndex}`, p.journalSeq !== undefined && `journal seq ${p.journalSeq}`, p.checkpointSize !== undefined && `checkpoint ${p.checkpointSize}`, p.mediaId && `media ${p.mediaId}`, p.messageId && `message ${p.messageId}`].filter(Boolean).join(', ')
    console.log(`FAIL ${where}: ${p.problem}`)
  }
  console.log(r.ok ? 'The archive is intact.' : `The archive is NOT intact: ${r.problems.length} problem(s).`)
}
