import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, type TestServer } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

const SATURDAY = Date.parse('2026-11-28T12:00:00Z') // 13:00 in Berlin

describe(`${DIALECT}: opening hours, away message and business profile in the browser`, () => {
  const ctx = useAdminBrowser({ clock: () => SATURDAY })
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('an admin sets opening hours (a mistake is named in German), switches the away message on, and the customer gets it', async () => {
    await page.goto(`${server.url}/#/settings/automation`)
    await page.getByLabel('Montag').fill('09:00–13:00, 12:00–17:00')
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByRole('alert').getByText('Montag: Die Zeiträume 09:00–13:00, 12:00–17:00 überschneiden sich.').waitFor()
    await page.getByLabel('Montag').fill('09:00–12:30, 13:30–17:00')
    await page.getByLabel('Gesetzliche Feiertage').selectOption({ label: 'Berlin' })
    await page.getByLabel('Außerhalb der Öffnungszeiten automatisch antworten').check()
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByRole('status').getByText('Gespeichert').waitFor()
    await page.screenshot({ path: screenshotPath('settings-automation'), fullPage: true })
    // A number without its own settings says it uses those of all numbers.
    await page.getByLabel('Gilt für').selectOption({ index: 1 })
    await page.getByText('Für diese Nummer gelten die Einstellungen aller Nummern.').waitFor()
    expect(await page.getByLabel('Montag').inputValue()).toBe('09:00–12:30, 13:30–17:00')
    await page.getByLabel('Gilt für').selectOption({ index: 0 })
    const stored = (await server.app.inject({ method: 'GET', url: '/api/automation/state', headers: { authorization: `Bearer ${(await server.token('admin')).headers.authorization!.slice(7)}` } })).json()
    expect(stored).toEqual({ open: false, nextOpening: '2026-11-30T08:00:00.000Z', timezone: 'Europe/Berlin', greeting: false, away: true })

    await page.getByRole('link', { name: 'Postfach', exact: true }).click()
    await page.getByLabel('Erreichbarkeit').getByText('Geschlossen bis Mo., 09:00').waitFor() // Berlin time, whatever the browser's zone
    await page.getByLabel('Erreichbarkeit').getByText('Abwesenheitsnotiz an').waitFor()
    server.simulatorState().customerSends('4915700000001', 'Wochenend Kundin', 'text', { body: 'Hat jemand offen?' })
    await page.locator('.conversation', { hasText: 'Wochenend Kundin' }).click()
    await page.locator('.bubble.outbound', { hasText: 'antworten ab Montag, 30. November, 09:00 Uhr' }).waitFor()
    await page.screenshot({ path: screenshotPath('inbox-away') })
  })

  it('the business profile is not saved without an Impressum; with one it goes to WhatsApp', async () => {
    await page.goto(`${server.url}/#/settings/profile`)
    await page.getByLabel('Info (bis 139 Zeichen)').fill('Fahrräder und Reparaturen')
    await page.getByLabel('Impressum (Link oder Text)').fill('')
    await page.getByRole('button', { name: 'In WhatsApp speichern' }).click()
    await page.getByRole('alert').getByText('Bitte zuerst das Impressum angeben').waitFor()
    expect(server.simulatorState().profile.about).not.toBe('Fahrräder und Reparaturen')
    await page.getByLabel('Impressum (Link oder Text)').fill('https://rad.example/impressum')
    await page.getByRole('button', { name: 'In WhatsApp speichern' }).click()
    await page.getByRole('status').getByText('Gespeichert und an WhatsApp übertragen.').waitFor()
    expect(server.simulatorState().profile.about).toBe('Fahrräder und Reparaturen')
    // The picture goes to WhatsApp through the Meta app.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
    await page.getByLabel('Profilbild (JPEG oder PNG, höchstens 5 MB)').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png })
    await page.getByText('WhatsApp zeigt ein Profilbild.').waitFor()
    expect(server.simulatorState().profilePicture?.bytes).toEqual(png)
    await page.screenshot({ path: screenshotPath('settings-profile'), fullPage: true })
  })
})
