import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually, type TestServer } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: a campaign in the browser`, () => {
  // Statuses come slowly, as from real phones: the campaign is complete (all queued) before its
  // message is read, and the read must still reach the counts on the page.
  const ctx = useAdminBrowser({ simulator: { behaviour: { statusStepMs: 2500 } } }, async (server) => {
    await customerWrites(server, '4916200000001', 'START', 'Nina Neukundin')
    await customerWrites(server, '4916200000002', 'Hallo', 'Otto Ohne')
    await customerWrites(server, '4916200000003', 'START', 'Paula Plus')
    await customerWrites(server, '4916200000003', 'STOP', 'Paula Plus')
    await eventually(async () => (await server.database.db.selectFrom('messages').select('id').where('status', '=', 'queued').execute()).length === 0)
  })
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('an admin sees who is left out and why, creates and starts a campaign, and watches it reach the one who consented', async () => {
    await page.getByRole('link', { name: 'Kampagnen' }).click()
    await page.getByText('Noch keine Kampagnen.', { exact: false }).waitFor()
    const form = page.getByRole('form', { name: 'Neue Kampagne' })
    await form.getByLabel('Name').fill('Herbst')
    await form.getByLabel('Vorlage (Marketing)').selectOption({ label: 'welcome_back (de)' })
    // The message as the customer will see it, with the footer that says how to object.
    const message = form.getByRole('group', { name: 'Vorschau' })
    await message.getByText('Schön, dass Sie wieder da sind, {{contact.name}}!').waitFor()
    await message.getByText('Keine Werbung mehr? Antworten Sie STOP.').waitFor()
    await form.getByLabel('Wert für {{1}}').fill('liebe Kundschaft')
    await message.getByText('Schön, dass Sie wieder da sind, liebe Kundschaft!').waitFor()
    const preview = form.getByRole('status', { name: 'Vorschau' })
    await preview.getByText('1 von 3 erhalten die Nachricht').waitFor()
    await preview.getByText('1 ohne bestätigte Einwilligung').waitFor()
    await preview.getByText('1 haben widersprochen').waitFor()
    await page.screenshot({ path: screenshotPath('campaign-form'), fullPage: true })
    await form.getByRole('button', { name: 'Kampagne anlegen' }).click()
    const row = page.getByRole('row', { name: /Herbst/ })
    await row.getByText('Entwurf').waitFor()
    expect(await page.getByText('Noch keine Kampagnen.', { exact: false }).count()).toBe(0)
    await row.getByRole('button', { name: 'Starten' }).click()
    await row.getByText(/1 gesendet, 1 zugestellt, 1 gelesen/).waitFor({ timeout: 15_000 })
    await row.getByRole('button', { name: 'Herbst' }).click()
    const recipients = page.getByRole('table', { name: 'Empfänger' })
    await recipients.getByRole('row', { name: /Otto Ohne/ }).getByText('ausgelassen: keine Einwilligung').waitFor()
    await recipients.getByRole('row', { name: /Paula Plus/ }).getByText('ausgelassen: widersprochen').waitFor()
    await page.screenshot({ path: screenshotPath('campaigns'), fullPage: true })
    const sent = server.simulatorState().sent.filter((s) => s.body.type === 'template')
    expect(sent.map((s) => s.recipient)).toEqual(['4916200000001'])
    expect(JSON.stringify(sent[0]!.body.template)).toContain('liebe Kundschaft')
  })
})
