import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { messagesEnvelope } from '../../src/simulator/payloads.js'
import { DIALECT, eventually, startTestServer, type TestServer } from '../helpers.js'
import { launchBrowser, screenshotPath, seriousViolations, signedInPage } from './browser.js'

const MINUTE = 60_000

describe(`${DIALECT}: reply targets in the browser`, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const foreign: string[] = []

  /** A customer's message as Meta sends it, written `ago` ms before now. */
  async function customerWrote(waId: string, name: string, text: string, ago: number) {
    const { identity } = server.simulatorState()
    const wamid = `wamid.e2e-reply-${waId}`
    const timestamp = String(Math.floor((Date.now() - ago) / 1000))
    const body = messagesEnvelope(identity, { contacts: [{ wa_id: waId, profile: { name } }], messages: [{ from: waId, id: wamid, timestamp, type: 'text', text: { body: text } }] })
    expect((await server.webhook(body)).statusCode).toBe(200)
    return (await eventually(() => server.database.db.selectFrom('messages').select('conversation_id').where('wamid', '=', wamid).executeTakeFirst())).conversation_id
  }

  beforeAll(async () => {
    server = await startTestServer()
    browser = await launchBrowser()
    // bypassCSP only so that axe-core can be injected; the CSP itself is tested elsewhere.
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 }, bypassCSP: true })
    context.on('request', (r) => void (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url()) && foreign.push(r.url())))
    page = await signedInPage(context, server.url, 'root@example.com', 'root-password-123')
    page.setDefaultTimeout(20_000)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('an admin sets a target of one hour around the clock under Einstellungen → Zuweisung', async () => {
    await page.getByRole('link', { name: 'Einstellungen' }).click()
    await page.getByRole('link', { name: 'Zuweisung' }).click()
    const form = page.getByRole('form', { name: 'Antwortziel' })
    await form.getByLabel('Kunden erhalten eine Antwort innerhalb von').fill('1')
    await form.getByLabel('Einheit').selectOption({ label: 'Stunden' })
    await form.getByLabel(/Nur Öffnungszeiten zählen/).uncheck()
    await form.getByRole('button', { name: 'Speichern' }).click()
    await form.getByText('Gespeichert.').waitFor()
    expect((await server.database.db.selectFrom('settings').select('value').where('key', '=', 'inbox.reply_target').executeTakeFirstOrThrow()).value).toBe(JSON.stringify({ minutes: 60, openingHoursOnly: false }))
    expect(await seriousViolations(page)).toEqual([])
    await form.screenshot({ path: screenshotPath('settings-reply-target') })
  })

  it('the list shows who is overdue and who is due soon; the overdue view and the bell lead to the customer; an answer ends the wait', async () => {
    const late = await customerWrote('4915800000001', 'Lena Lange', 'Wo bleibt meine Erstattung?', 2 * 60 * MINUTE + 5 * MINUTE)
    await customerWrote('4915800000002', 'Bodo Bald', 'Können Sie mich zurückrufen?', 50 * MINUTE)
    await customerWrote('4915800000003', 'Nina Neu', 'Hallo!', 0)
    // The admin is told of the one nobody has, at the next look (here: asked for now rather than in a minute).
    await server.overdue.run()

    await page.getByRole('link', { name: 'Postfach', exact: true }).click()
    const list = page.getByRole('list', { name: 'Unterhaltungen' })
    const item = (name: string) => list.getByRole('listitem').filter({ hasText: name })
    await item('Lena Lange').getByText('überfällig seit 1 Std.').waitFor()
    await item('Bodo Bald').getByText(/^Antwort fällig in \d+ Min\.$/).waitFor()
    // Due in an hour: the time, with the weekday when that hour falls on tomorrow (a run shortly before midnight).
    await item('Nina Neu').getByText(/^Antwort bis ([A-Z][a-z]\., )?\d\d:\d\d$/).waitFor()
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: screenshotPath('inbox-reply-targets') })

    // The overdue view: only Lena.
    await page.getByRole('button', { name: /Überfällig/ }).click()
    await eventually(async () => (await list.getByRole('listitem').count()) === 1)
    await item('Lena Lange').waitFor()

    // The bell: "Antwort überfällig", opening the conversation.
    await page.getByRole('button', { name: /Benachrichtigungen, 1 neu/ }).click()
    await page.getByRole('button', { name: /Antwort überfällig: Lena Lange wartet länger als das Antwortziel/ }).click()
    await page.getByRole('heading', { name: 'Lena Lange' }).waitFor()
    await page.locator('.chat-header').getByText('überfällig seit 1 Std.').waitFor()

    // Answered: she no longer waits, and leaves the overdue view at once.
    await page.getByRole('textbox', { name: 'Nachricht' }).fill('Die Erstattung ist heute rausgegangen.')
    await page.getByRole('button', { name: 'Senden' }).click()
    await eventually(async () => (await server.database.db.selectFrom('conversations').select('awaiting_reply_since').where('id', '=', late).executeTakeFirstOrThrow()).awaiting_reply_since === null)
    await eventually(async () => (await list.getByRole('listitem').count()) === 0 || (await page.getByText('Keine Unterhaltungen').count()) > 0)
    await page.locator('.chat-header').getByText(/überfällig/).waitFor({ state: 'detached' })
    expect(foreign).toEqual([])
  })
})
