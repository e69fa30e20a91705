import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_GRAPH_BASE_URL, loadConfig } from '../src/config.js'
import { DIALECT } from './helpers.js'
import { runCli } from './process.js'


describe('configuration', () => {
  it('has working defaults and uses the simulator without credentials', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({ port: 3000, host: '127.0.0.1', databaseUrl: undefined, whatsapp: undefined, sqliteSynchronous: 'FULL' })
    expect(c.dataDir).toBe(path.resolve('./data'))
  })

  it('names every invalid variable at once', () => {
    let error: ConfigError | undefined
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', POSTFACH_ADMIN_EMAIL: 'not-an-email', POSTFACH_ADMIN_PASSWORD: 'short', PUBLIC_URL: 'ftp://x' })
    } catch (e) {
      error = e as ConfigError
    }
    expect(error).toBeInstanceOf(ConfigError)
    const text = error!.problems.join('\n')
    for (const name of ['PORT', 'DATABASE_URL', 'POSTFACH_ADMIN_EMAIL', 'POSTFACH_ADMIN_PASSWORD', 'PUBLIC_URL']) expect(text).toContain(name)
  })

  it('refuses a partial set of WhatsApp credentials, naming the missing ones', () => {
    expect(() => loadConfig({ WHATSAPP_ACCESS_TOKEN: 'x' })).toThrow(/WHATSAPP_APP_SECRET.*\n.*WHATSAPP_VERIFY_TOKEN.*\n.*WHATSAPP_PHONE_NUMBER_ID/s)
  })

  it('takes real credentials with the Graph URL pinned to v26.0', () => {
    const c = loadConfig({ WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '123', WHATSAPP_BUSINESS_ACCOUNT_ID: '456' })
    expect(c.whatsapp).toMatchObject({ apiBaseUrl: DEFAULT_GRAPH_BASE_URL, phoneNumberId: '123', businessAccountId: '456', messagesPerSecond: 80 })
    expect(DEFAULT_GRAPH_BASE_URL).toMatch(/\/v26\.0$/)
  })
})

describe(`${DIALECT}: the postfach command`, () => {
  const cli = runCli

  it('migrates, creates a user and a token, and refuses bad input with exit code 2', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'postfach-cli-'))
    // The CLI runs against SQLite here; the same commands serve PostgreSQL through DATABASE_URL.
    const env = { DATA_DIR: dataDir }
    try {
      const migrate = await cli(['migrate'], env)
      expect(migrate.code).toBe(0)
      expect(migrate.stdout).toMatch(/Applied: 2026-11-23T1800_foundation|up to date/)
      const user = await cli(['user', 'create', '--email', 'Anna@example.com', '--name', 'Anna', '--role', 'agent'], { ...env, POSTFACH_NEW_PASSWORD: 'a-long-password' })
      expect(user.code).toBe(0)
      expect(user.stdout).toMatch(/Created agent anna@example.com/)
      const again = await cli(['user', 'create', '--email', 'anna@example.com', '--role', 'agent', '--password', 'a-long-password'], env)
      expect(again.code).toBe(2)
      expect(again.stderr).toMatch(/exists already/)
      const badRole = await cli(['token', 'create', '--name', 'crm', '--role', 'boss'], env)
      expect(badRole.code).toBe(2)
      const token = await cli(['token', 'create', '--name', 'crm', '--role', 'agent'], env)
      expect(token.code).toBe(0)
      expect(token.stdout.trim()).toMatch(/^pf_[\w-]{40,}$/)
      const badConfig = await cli(['migrate'], { ...env, PORT: 'x' })
      expect(badConfig.code).toBe(2)
      expect(badConfig.stderr).toMatch(/PORT/)
      // A flag serve does not know would be ignored silently, so it is refused; configuration is the environment's.
      const flag = await cli(['serve', '--port', '4000'], env)
      expect(flag.code).toBe(2)
      expect(flag.stderr).toMatch(/serve takes no arguments; configure it with environment variables/)
      // Help after any command, before anything runs (even with a broken configuration).
      const help = await cli(['migrate', '--help'], { ...env, PORT: 'x' })
      expect(help.code).toBe(0)
      expect(help.stdout).toMatch(/^Usage: postfach <command>/)
      // verify-bundle: a missing file is a usage error; a file that is no bundle is a bundle not intact, not a stack trace.
      const missing = await cli(['archive', 'verify-bundle', path.join(dataDir, 'nope.zip')], env)
      expect(missing.code).toBe(2)
      expect(missing.stderr).toMatch(/there is no file .*nope\.zip/)
      fs.writeFileSync(path.join(dataDir, 'not-a.zip'), 'this is no ZIP')
      const notZip = await cli(['archive', 'verify-bundle', path.join(dataDir, 'not-a.zip')], env)
      expect(notZip.code).toBe(1)
      expect(notZip.stdout).toMatch(/FAIL the file cannot be checked as a bundle: .*\n[\s\S]*The bundle is NOT intact\./)
      expect(notZip.stderr).not.toMatch(/at .*\.js:\d+/)
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true })
    }
  })
})
