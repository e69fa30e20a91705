import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Caller, DIALECT, eventually, startTestServer, type TestServer } from '../helpers.js'
import { adminPage, launchBrowser, screenshotPath } from './browser.js'

const WA_ID = '4915177700001'

/**
 * The customer phone (`/simulator`), used as a person would: on a phone-sized screen, writing to
 * the business and tapping what it offers. Every tap arrives in the inbox as a signed webhook.
 */
describe(`${DIALECT}: the simulator's customer phone in the browser`, () => {
  let server: TestServer
  let agent: Caller
  let browser: Browser
  let phone: Page
  let conversationId: string
  beforeAll(async () => {
    server = await startTestServer({ simulator: { behaviour: { statusStepMs: 100 } } })
    agent = await server.login('agent')
    browser = await launchBrowser()
    phone = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 360, height: 740 } })).newPage()
    phone.setDefaultTimeout(20_000)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  type Message = { direction: string; type: string; text?: { body: string }; interactive?: { type: string; buttonReply?: object; listReply?: object }; button?: { payload: string; text: string }; context?: unknown }
  const inbound = (match: (m: Message) => boolean) =>
    eventually(async () => ((await agent.inject({ method: 'GET', url: `/api/conversations/${conversationId}/messages?limit=100` })).json().items as Message[]).find((m) => m.direction === 'inbound' && match(m)))
  const businessSends = async (body: object) => {
    const res = await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: body })
    expect(res.statusCode).toBe(202)
  }

  it('writes to the business from the number typed in', async () => {
    await phone.goto(`${server.url}/simulator`)
    await phone.getByLabel('Nummer / number').fill(WA_ID)
    await phone.getByLabel('Name').fill('Jonas Beispiel')
    await phone.getByLabel('Nachricht').fill('Guten Tag, ich möchte etwas zurückschicken.')
    await phone.getByRole('button', { name: 'Senden' }).click()
    conversationId = await eventually(async () => {
      const items = (await agent.inject({ method: 'GET', url: '/api/conversations' })).json().items as { id: string; contact: { waId: string; name: string } }[]
      return items.find((c) => c.contact.waId === WA_ID)?.id
    })
    const first = await inbound((m) => m.type === 'text')
    expect(first.text?.body).toBe('Guten Tag, ich möchte etwas zurückschicken.')
    await phone.getByText('Guten Tag, ich möchte etwas zurückschicken.').waitFor()
    expect(await phone.getByLabel('Nachricht').inputValue()).toBe('')
    expect(await phone.locator('.m.customer .ticks').getAttribute('title')).toBe('zugestellt')

    // The business reads it and starts typing: blue ticks and "typing…" on the phone, until the answer.
    expect((await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/read`, payload: { typing: true } })).json().typing).toBe(true)
    await phone.getByText('Postfach Demo schreibt …').waitFor()
    await phone.locator('.m.customer .ticks.read[title="gelesen"]').waitFor()
    await phone.screenshot({ path: screenshotPath('simulator-typing') })
    await businessSends({ type: 'text', text: { body: 'Gern, ich schicke Ihnen das Etikett.' } })
    await phone.getByText('Gern, ich schicke Ihnen das Etikett.').waitFor()
    await expect.poll(() => phone.locator('#typing').textContent()).toBe('')
  })

  it('taps a reply button, a list row and a template’s quick reply, each arriving as WhatsApp sends it', async () => {
    await businessSends({ type: 'interactive', interactive: { type: 'button', body: { text: 'Haben Sie die Rechnung noch?' }, action: { buttons: [{ type: 'reply', reply: { id: 'invoice_yes', title: 'Ja, habe ich' } }, { type: 'reply', reply: { id: 'invoice_no', title: 'Nein' } }] } } })
    await phone.getByRole('button', { name: 'Ja, habe ich' }).click()
    expect((await inbound((m) => m.interactive?.type === 'button_reply')).interactive?.buttonReply).toMatchObject({ id: 'invoice_yes', title: 'Ja, habe ich' })

    await businessSends({ type: 'interactive', interactive: { type: 'list', body: { text: 'Worum geht es?' }, action: { button: 'Themen', sections: [{ title: 'Themen', rows: [{ id: 'topic_returns', title: 'Rücksendung', description: 'Artikel zurückschicken' }, { id: 'topic_invoice', title: 'Rechnung' }] }] } } })
    await phone.getByRole('button', { name: 'Rücksendung' }).click()
    expect((await inbound((m) => m.interactive?.type === 'list_reply')).interactive?.listReply).toMatchObject({ id: 'topic_returns', title: 'Rücksendung', description: 'Artikel zurückschicken' })

    // The phone shows the approved text with the send's parameters, not just the template's name.
    await businessSends({ type: 'template', template: { name: 'optin_confirmation', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Angebote' }, { type: 'text', text: 'Postfach Demo' }] }] } })
    await phone.getByText('Bitte bestätigen Sie, dass Sie „Angebote“ von Postfach Demo per WhatsApp erhalten möchten', { exact: false }).waitFor()
    await phone.getByRole('button', { name: 'JA', exact: true }).click()
    expect((await inbound((m) => m.type === 'button')).button).toEqual({ payload: 'JA', text: 'JA' })
  })

  it('sends a picture and a location, and fits a phone’s screen', async () => {
    await phone.getByRole('button', { name: 'Bild' }).click()
    await inbound((m) => m.type === 'image')
    await phone.getByRole('button', { name: 'Standort' }).click()
    expect(await inbound((m) => m.type === 'location')).toMatchObject({ location: { latitude: 52.520008, longitude: 13.404954 } })
    // Nothing runs off the side of a 360-pixel screen: every control stays reachable.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
    for (const name of ['Senden', 'Bild', 'Standort']) {
      const box = (await phone.getByRole('button', { name }).boundingBox())!
      expect(box.x + box.width).toBeLessThanOrEqual(360)
    }
    await phone.screenshot({ path: screenshotPath('simulator-phone'), fullPage: true })
  })

  it('opens a conversation’s customer phone from the inbox, and offers the numbers it knows', async () => {
    // The business writes first, by template, to a number the phone page has never shown.
    const NEW_WA = '4915177700002'
    const started = await agent.inject({ method: 'POST', url: '/api/messages', payload: { to: NEW_WA, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })
    expect(started.statusCode).toBe(202)
    await eventually(async () => server.simulatorState().sent.find((m) => m.recipient === NEW_WA))
    const known = (await (await fetch(`${server.url}/simulator/api/customers`)).json()).items as { waId: string; name: string | null }[]
    expect(known.map((c) => c.waId)).toEqual([NEW_WA, WA_ID]) // newest first
    expect(known[1]!.name).toBe('Jonas Beispiel')
    expect((await agent.inject({ method: 'GET', url: '/api/channels' })).json().items.map((c: { simulated: boolean }) => c.simulated)).toEqual([true])

    const inbox = await adminPage(browser, server.url)
    await inbox.goto(`${server.url}/#/inbox/${started.json().conversationId}`)
    await inbox.locator('.chat-title').click()
    await inbox.locator('.contact-panel').screenshot({ path: screenshotPath('contact-panel-simulator') })
    const [customerPhone] = await Promise.all([inbox.waitForEvent('popup'), inbox.locator('.contact-panel').getByRole('link', { name: 'Kunden-Telefon öffnen (Simulator)' }).click()])
    expect(new URL(customerPhone.url()).search).toBe(`?number=${NEW_WA}`)
    await customerPhone.locator('.m.business', { hasText: 'Hello World' }).waitFor()
    expect(await customerPhone.getByLabel('Nummer / number').inputValue()).toBe(NEW_WA)
    expect(await customerPhone.getByLabel('Name').inputValue()).toBe('') // not another customer's name
    await customerPhone.screenshot({ path: screenshotPath('simulator-from-inbox') })
    await inbox.context().close()

    // The number field offers both customers; picking one shows its chat under its name.
    await phone.reload()
    await expect.poll(() => phone.locator('#known option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([NEW_WA, WA_ID])
    await phone.getByLabel('Nummer / number').fill(NEW_WA)
    await phone.locator('.m.business', { hasText: 'Hello World' }).waitFor()
    await phone.getByLabel('Nummer / number').fill(WA_ID)
    await phone.getByText('Guten Tag, ich möchte etwas zurückschicken.').waitFor()
    expect(await phone.getByLabel('Name').inputValue()).toBe('Jonas Beispiel')
  })

  it('refuses a malformed tap with 400 and sends nothing', async () => {
    const received = server.simulatorState().received.length
    const post = (waId: string, body: object) => fetch(`${server.url}/simulator/api/customers/${waId}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    expect((await post(WA_ID, { type: 'list', title: 'Rücksendung' })).status).toBe(400) // no row id, no message it answers
    expect((await post(WA_ID, { type: 'quick_reply', replyTo: 'wamid.x', payload: 'JA', text: 'J'.repeat(101) })).status).toBe(400)
    expect((await post('not-a-number', { type: 'text', body: 'Hallo' })).status).toBe(400)
    expect((await fetch(`${server.url}/simulator/api/customers/not-a-number/messages`)).status).toBe(400)
    expect(server.simulatorState().received.length).toBe(received)
  })
})
