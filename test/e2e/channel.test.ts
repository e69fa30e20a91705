import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, readFixture, type TestServer } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: templates, the number's status and Meta's alerts in the browser`, () => {
  const ctx = useAdminBrowser({ simulator: { behaviour: { statusStepMs: 100 } } })
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('an admin submits a template (the example fields follow the variables; advertising without STOP is refused in German)', async () => {
    await page.goto(`${server.url}/#/settings/templates`)
    await page.getByRole('row', { name: /hello_world/ }).getByText('Genehmigt').waitFor()
    await page.getByRole('row', { name: /paused_offer/ }).getByText('Pausiert').waitFor()
    const form = page.getByRole('form', { name: 'Neue Vorlage' })
    await form.getByLabel('Name').fill('herbst_aktion')
    await form.getByLabel('Kategorie').selectOption({ label: 'Marketing' })
    await form.getByLabel('Text mit Variablen wie {{1}}, {{2}}').fill('Hallo {{1}}, heute {{2}} % auf alles.')
    await form.getByLabel('Beispielwert für {{1}}').fill('Erika')
    await form.getByLabel('Beispielwert für {{2}}').fill('20')
    await form.getByRole('button', { name: 'Bei WhatsApp einreichen' }).click()
    await form.getByRole('alert').getByText('Marketing-Vorlagen müssen sagen, wie man widerspricht').waitFor()
    expect(server.simulatorState().templates.some((t) => t.name === 'herbst_aktion')).toBe(false)
    await form.getByLabel('Schnellantwort-Schaltflächen (durch Komma getrennt)').fill('STOP')
    await form.getByRole('button', { name: 'Bei WhatsApp einreichen' }).click()
    await form.getByRole('status').getByText('„herbst_aktion“ wurde eingereicht').waitFor()
    expect(server.simulatorState().templates.find((t) => t.name === 'herbst_aktion')).toMatchObject({ category: 'MARKETING' })
    // The row shows what the customer will read, not just the name.
    await page.getByRole('row', { name: /herbst_aktion/ }).getByText('Hallo {{1}}, heute {{2}} % auf alles.').waitFor()
    await page.screenshot({ path: screenshotPath('settings-templates'), fullPage: true })
  })

  it('shows the number’s quality, and Meta’s alerts on every screen until an admin dismisses them', async () => {
    await page.goto(`${server.url}/#/settings/channel`)
    await page.getByText('Grün (hoch)').waitFor()
    const body = JSON.parse(readFixture('phone-number-name-update.json'))
    Object.assign(body.entry[0].changes[0].value, { decision: 'REJECTED', rejection_reason: 'NAME_FORMAT_UNACCEPTABLE' })
    body.entry[0].time = Math.floor(Date.now() / 1000)
    expect((await server.webhook(body)).statusCode).toBe(200)
    await page.goto(`${server.url}/#/inbox`)
    await page.reload()
    const banner = page.getByRole('alert', { name: 'WhatsApp meldet' })
    await banner.getByText('Der Anzeigename wurde abgelehnt (NAME_FORMAT_UNACCEPTABLE).').waitFor()
    await page.screenshot({ path: screenshotPath('channel-alert') })
    await banner.getByRole('button', { name: 'Gesehen' }).click()
    await banner.waitFor({ state: 'detached' })
  })

  it('GDPR-19: an admin adds an integration and sees its signing secret once', async () => {
    await page.goto(`${server.url}/#/settings/integrations`)
    const form = page.getByRole('form', { name: 'Neue Integration' })
    await form.getByLabel('Name').fill('CRM')
    await form.getByLabel('Webhook-Adresse').fill('https://crm.example/hooks/postfach')
    await form.getByRole('button', { name: 'Integration anlegen' }).click()
    const secret = await page.getByRole('status').locator('code.secret').textContent()
    expect(secret).toMatch(/^[\w-]{32}$/)
    await page.getByRole('row', { name: /CRM/ }).getByText('https://crm.example/hooks/postfach').waitFor()
    await page.reload()
    await page.getByRole('row', { name: /CRM/ }).waitFor()
    expect(await page.locator('code.secret').count()).toBe(0)
    expect(await server.database.db.selectFrom('integrations').select('secret').executeTakeFirstOrThrow()).not.toEqual({ secret })
  })

  it('an admin creates an API token that works, shown once; revoking it locks it out', async () => {
    await page.goto(`${server.url}/#/settings/tokens`)
    const form = page.getByRole('form', { name: 'Token erstellen' })
    await form.getByLabel('Name').fill('Shop-Anbindung')
    await form.getByRole('button', { name: 'Erstellen' }).click()
    const token = (await page.getByRole('status').locator('code.secret').textContent())!
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200)
    await page.getByRole('button', { name: 'Token Shop-Anbindung widerrufen' }).click()
    await page.getByRole('row', { name: /Shop-Anbindung/ }).getByText('Widerrufen').waitFor()
    expect((await server.app.inject({ method: 'GET', url: '/api/conversations', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401)
  })
})
