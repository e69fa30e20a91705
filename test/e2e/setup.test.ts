import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, startTestServer, type TestServer } from '../helpers.js'
import { launchBrowser, screenshotPath } from './browser.js'

describe(`${DIALECT}: first start without any user`, () => {
  let server: TestServer
  let browser: Browser
  beforeAll(async () => {
    server = await startTestServer({ env: { POSTFACH_ADMIN_EMAIL: '', POSTFACH_ADMIN_PASSWORD: '' } })
    browser = await launchBrowser()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('creates the first admin on the setup page with the console\'s one-time link, and only once', async () => {
    const token = server.setup.token!
    expect(token).toBeTruthy()
    expect((await server.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: true })
    const page = await browser.newPage({ locale: 'de-DE' })

    await page.goto(`${server.url}/setup?token=not-the-token`)
    await page.getByLabel('Name').fill('Anna Admin')
    await page.getByLabel('E-Mail').fill('anna@example.com')
    await page.getByLabel('Passwort', { exact: true }).fill('ein-langes-passwort')
    await page.getByLabel('Passwort wiederholen').fill('ein-langes-passwort')
    await page.getByRole('button', { name: 'Konto anlegen' }).click()
    await page.getByText('Der Einrichtungslink ist ungültig').waitFor()
    expect(await server.database.db.selectFrom('users').select('id').execute()).toHaveLength(0)

    await page.goto(`${server.url}/setup?token=${token}`)
    await page.getByLabel('Name').fill('Anna Admin')
    await page.getByLabel('E-Mail').fill('anna@example.com')
    await page.getByLabel('Passwort', { exact: true }).fill('ein-langes-passwort')
    await page.getByLabel('Passwort wiederholen').fill('ein-langes-passwort')
    await page.screenshot({ path: screenshotPath('setup') })
    await page.getByRole('button', { name: 'Konto anlegen' }).click()
    await page.getByText('Noch keine Unterhaltungen').waitFor()
    expect(new URL(page.url()).search).toBe('')
    // A new installation's lists say they are empty (they showed a bare header, or nothing at all).
    for (const [hash, empty] of [
      ['#/settings/labels', 'Noch keine Labels. Legen Sie unten das erste an.'],
      ['#/settings/quick-replies', 'Noch keine Schnellantworten. Legen Sie unten die erste an.'],
      ['#/settings/tokens', 'Noch kein API-Token angelegt.'],
      ['#/settings/integrations', 'Noch keine Integration eingerichtet.'],
      ['#/campaigns', 'Noch keine Kampagnen.'],
      ['#/settings/audit', 'Noch keine Einträge.'],
    ] as const) {
      await page.goto(`${server.url}/${hash}`)
      await page.getByText(empty).waitFor()
    }

    const users = await server.database.db.selectFrom('users').selectAll().execute()
    expect(users.map((u) => [u.email, u.role])).toEqual([['anna@example.com', 'admin']])
    const again = await server.app.inject({ method: 'POST', url: '/api/setup', payload: { token, email: 'mallory@example.com', name: 'M', password: 'another-long-password' } })
    expect(again.statusCode).toBe(409)
    expect((await server.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({ needed: false })
  })
})
