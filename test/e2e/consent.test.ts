import type { Browser, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { contactByNumber, DIALECT, type TestServer } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: consent in the browser (START, STOP, refused marketing send)`, () => {
  const ctx = useAdminBrowser({ simulator: { behaviour: { statusStepMs: 100 } } })
  let server: TestServer
  let browser: Browser
  let page: Page
  beforeAll(() => {
    ;({ server, browser, page } = ctx)
  })

  it('GDPR-7, WA-2: START shows as confirmed in the contact panel, STOP as objected, and a marketing template is then refused', async () => {
    server.simulatorState().customerSends('4915400000001', 'Maria Marketing', 'text', { body: 'START' })
    await page.locator('.conversation', { hasText: 'Maria Marketing' }).click()
    await page.locator('.chat-title').click()
    const marketing = page.locator('.consents li', { hasText: 'Angebote und Newsletter' })
    await marketing.getByText('Bestätigt').waitFor()
    await page.screenshot({ path: screenshotPath('contact-consent') })

    server.simulatorState().customerSends('4915400000001', 'Maria Marketing', 'text', { body: 'STOP' })
    await marketing.getByText('Widersprochen').waitFor()
    await page.locator('.bubble.outbound', { hasText: 'keine Werbenachrichten mehr' }).waitFor()

    // A day later only templates can be sent; the marketing one is refused with the reason.
    const { id } = await server.database.db.selectFrom('conversations').select('id').executeTakeFirstOrThrow()
    await server.database.db.updateTable('conversations').set({ last_inbound_at: new Date(Date.now() - 25 * 3600_000).toISOString() }).where('id', '=', id).execute()
    server.hub.conversationsChanged([id])
    await page.getByLabel('Vorlage', { exact: true }).selectOption({ label: 'welcome_back (de)' })
    await page.getByLabel('Wert für {{1}}').fill('Maria')
    await page.getByRole('button', { name: 'Vorlage senden' }).click()
    await page.getByRole('alert').getByText('Die Person hat der Werbung widersprochen').waitFor()
    expect(server.simulatorState().sent.filter((s) => s.recipient === '4915400000001' && s.body.type === 'template')).toEqual([])
  })

  it('TDDDG-25, UWG-DOI: the opt-in page works without JavaScript, stores nothing on the device, and the customer confirms on the phone', async () => {
    await server.database.db.insertInto('settings').values([
      { key: 'company', value: JSON.stringify({ name: 'Muster GmbH', address: 'Hauptstraße 1, 10115 Berlin' }), updated_by: null, updated_at: new Date().toISOString() },
      { key: 'privacy.notice', value: JSON.stringify({ url: `${server.url}/datenschutz`, version: '3' }), updated_by: null, updated_at: new Date().toISOString() },
    ]).execute()
    const context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: false })
    const requests: string[] = []
    context.on('request', (r) => void requests.push(r.url()))
    const optin = await context.newPage()
    await optin.goto(`${server.url}/optin/marketing`)
    await optin.getByLabel('Ihre Mobilnummer (mit WhatsApp)').fill('0151 40000002')
    await optin.getByRole('checkbox').check()
    await optin.screenshot({ path: screenshotPath('optin') })
    await optin.getByRole('button', { name: 'Einwilligung senden' }).click()
    await optin.getByText('Bitte bestätigen Sie dort mit JA').waitFor({ timeout: 8000 })
    expect(await context.cookies()).toEqual([])
    expect(await optin.content()).not.toMatch(/<script/i) // nothing to run: the form needs no JavaScript
    expect(requests.every((u) => u.startsWith(server.url))).toBe(true)
    await context.close()

    // The customer answers the confirmation on the phone; the agent sees the consent confirmed.
    await expect.poll(() => server.simulatorState().sent.some((s) => s.recipient === '4915140000002' && s.body.type === 'template')).toBe(true)
    server.simulatorState().customerSends('4915140000002', 'Olaf Optin', 'button', { text: 'JA', payload: 'JA' })
    await page.locator('.conversation', { hasText: 'Olaf Optin' }).click()
    // The contact panel stays open from one conversation to the next.
    if (!(await page.locator('.contact-panel').isVisible())) await page.locator('.chat-title').click()
    await page.locator('.contact-panel', { hasText: '+4915140000002' }).locator('.consents li', { hasText: 'Angebote und Newsletter' }).getByText('Bestätigt').waitFor({ timeout: 8000 })
  })

  it('UWG-7-3: an agent records a customer as existing customer; a template without the objection notice is refused with the reason, one with it goes out', async () => {
    server.simulatorState().customerSends('4915400000073', 'Bernd Bestand', 'text', { body: 'Gibt es das Zubehör wieder?' })
    await page.locator('.conversation', { hasText: 'Bernd Bestand' }).click()
    if (!(await page.locator('.contact-panel').isVisible())) await page.locator('.chat-title').click()
    const panel = page.locator('.contact-panel', { hasText: '+4915400000073' })
    await panel.getByRole('button', { name: 'Als Bestandskunde erfassen (§ 7 Abs. 3 UWG)' }).click()
    const form = panel.getByRole('form', { name: 'Als Bestandskunde erfassen (§ 7 Abs. 3 UWG)' })
    await form.getByLabel('Kauf (Rechnungs- oder Bestellnummer)').fill('Rechnung 2026-0999')
    await form.getByLabel('Kaufdatum').fill('2026-11-20')
    await form.getByLabel('Hinweis auf das Widerspruchsrecht bei der Erhebung (Wortlaut)').fill('Sie können der Werbung jederzeit widersprechen; es entstehen nur Übermittlungskosten nach den Basistarifen.')
    await form.getByLabel('Die Werbung betrifft eigene ähnliche Waren oder Dienstleistungen').check()
    await page.screenshot({ path: screenshotPath('existing-customer-form') })
    await form.getByRole('button', { name: 'Erfassen' }).click()
    await panel.locator('.consents li', { hasText: 'Angebote und Newsletter' }).getByText('Bestandskunde (§ 7 Abs. 3 UWG)').waitFor()

    // Outside the 24-hour window, where advertising goes by template.
    const { id } = await server.database.db.selectFrom('conversations').select('id').where('contact_id', '=', (await contactByNumber(server, '4915400000073'))!.id).executeTakeFirstOrThrow()
    await server.database.db.updateTable('conversations').set({ last_inbound_at: new Date(Date.now() - 25 * 3600_000).toISOString() }).where('id', '=', id).execute()
    server.hub.conversationsChanged([id])
    await page.getByLabel('Vorlage', { exact: true }).selectOption({ label: 'welcome_back (de)' })
    await page.getByLabel('Wert für {{1}}').fill('Bernd')
    await page.getByRole('button', { name: 'Vorlage senden' }).click()
    await page.getByRole('alert').getByText('an einen Bestandskunden ohne Einwilligung').waitFor()
    await page.getByLabel('Vorlage', { exact: true }).selectOption({ label: 'zubehoer_bestandskunden (de)' })
    await page.getByRole('button', { name: 'Vorlage senden' }).click()
    await expect.poll(() => server.simulatorState().sent.filter((s) => s.recipient === '4915400000073' && s.body.type === 'template').map((s) => (s.body.template as { name: string }).name)).toEqual(['zubehoer_bestandskunden'])
    await page.screenshot({ path: screenshotPath('existing-customer-sent') })
  })
})
