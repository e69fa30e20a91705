import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, startTestServer, type TestServer } from '../helpers.js'
import { launchBrowser, screenshotPath } from './browser.js'

/** The tax auditor in the browser: read-only pages of the archive, nothing of the inbox. */
describe(`${DIALECT}: the auditor's screens`, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const requests: string[] = []
  beforeAll(async () => {
    server = await startTestServer()
    await customerWrites(server, '4915199900001', 'Rechnung 2026-17 erhalten, danke.', 'Bea Beleg')
    await server.login('auditor', 'pruefer@example.com')
    const admin = await server.token('admin')
    expect((await admin.inject({ method: 'PUT', url: '/api/archive/audit-scope', payload: { from: '2026-01-01', to: '2026-12-31' } })).statusCode).toBe(204)
    browser = await launchBrowser()
    page = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } })).newPage()
    page.setDefaultTimeout(20_000)
    page.on('request', (r) => requests.push(new URL(r.url()).pathname))
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('signs in to the archive pages only, without asking for the inbox’s live events or showing itself offline', async () => {
    await page.goto(server.url)
    await page.getByLabel('E-Mail').fill('pruefer@example.com')
    await page.getByLabel('Passwort').fill('correct-horse-battery')
    await page.getByRole('button', { name: 'Anmelden' }).click()
    const nav = page.getByRole('navigation', { name: 'Hauptnavigation' })
    await nav.waitFor()
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Einstellungen'])
    // The archive is what the auditor comes for: it is the first page.
    await page.getByRole('heading', { name: 'Integrität' }).waitFor()
    expect(await page.getByRole('link', { name: 'Archiv' }).getAttribute('aria-current')).toBe('page')
    await page.getByRole('button', { name: 'Jetzt prüfen' }).click()
    await page.getByText(/^Unverändert/).waitFor()
    await page.getByText('Prüfungszeitraum: 01.01.2026 bis 31.12.2026').waitFor() // the period set for them, in German dates
    // The live stream is the inbox's: refused to the auditor, it would be retried every few seconds and show "offline".
    expect(requests.filter((p) => p === '/api/events')).toEqual([])
    expect(await page.getByText('Verbindung unterbrochen', { exact: false }).count()).toBe(0)
    await page.screenshot({ path: screenshotPath('auditor-archive') })
  })
})
