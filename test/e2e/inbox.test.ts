import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECT, eventually, startTestServer, type TestServer } from '../helpers.js'
import { answerTo, holdBack, launchBrowser, screenshotPath } from './browser.js'

describe(`${DIALECT}: the inbox in a real browser`, () => {
  let server: TestServer
  let browser: Browser
  let page: Page
  const foreign: string[] = []

  beforeAll(async () => {
    server = await startTestServer({ simulator: { behaviour: { statusStepMs: 150 } } })
    browser = await launchBrowser()
    const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } })
    page = await context.newPage()
    // Every request the page makes must go to our own origin.
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url())
    })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('logs in, sees a customer message arrive live, replies and watches the ticks reach read', async () => {
    await page.goto(server.url)
    await page.getByLabel('E-Mail').fill('root@example.com')
    await page.getByLabel('Passwort').fill('wrong-password')
    await page.getByRole('button', { name: 'Anmelden' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('falsch')
    await page.screenshot({ path: screenshotPath('login') })
    await page.getByLabel('Passwort').fill('root-password-123')
    await page.getByRole('button', { name: 'Anmelden' }).click()
    await page.getByText('Noch keine Unterhaltungen').waitFor()

    // A customer writes from the simulator's phone: it appears without reload.
    server.simulatorState().customerSends('4915112345678', 'Erika Mustermann', 'text', { body: 'Ist meine Bestellung *4711* unterwegs?' })
    const row = page.getByRole('button', { name: /Erika Mustermann/ })
    await row.waitFor({ timeout: 10_000 })
    await row.click()
    await page.locator('.bubble', { hasText: 'Ist meine Bestellung' }).waitFor()
    expect(await page.locator('.bubble.inbound strong').textContent()).toBe('4711')

    await page.getByLabel('Nachricht', { exact: true }).fill('Ja, sie kommt morgen an.')
    await page.keyboard.press('Enter')
    const bubble = page.locator('.bubble.outbound', { hasText: 'Ja, sie kommt morgen an.' })
    await bubble.waitFor()
    await bubble.locator('[data-status="read"]').waitFor({ timeout: 15_000 })
    await page.screenshot({ path: screenshotPath('inbox-chat') })
    expect(server.simulatorState().sent.filter((s) => s.recipient === '4915112345678').map((s) => (s.body.text as { body: string }).body)).toEqual(['Ja, sie kommt morgen an.'])
  })

  it('reacts to a customer message and replies quoting it', async () => {
    const question = page.locator('.bubble.inbound', { hasText: 'Ist meine Bestellung' })
    await question.hover()
    await question.getByRole('button', { name: 'Reagieren' }).click()
    await question.getByRole('button', { name: 'Mit 👍 reagieren' }).click()
    await question.getByLabel('Reaktionen: 👍').waitFor()
    await question.hover()
    await question.getByRole('button', { name: 'Antworten' }).click()
    await page.getByLabel('Nachricht', { exact: true }).fill('Genau diese Bestellung.')
    await page.keyboard.press('Enter')
    const quote = page.locator('.bubble.outbound', { hasText: 'Genau diese Bestellung.' }).locator('blockquote', { hasText: 'Ist meine Bestellung' })
    await quote.locator('strong', { hasText: '4711' }).waitFor() // formatted as WhatsApp shows it, not *4711*
    const wamid = server.simulatorState().received.find((r) => r.waId === '4915112345678')!.wamid
    await expect.poll(() => server.simulatorState().sent.filter((s) => s.recipient === '4915112345678').map((s) => s.body.type)).toEqual(['text', 'reaction', 'text'])
    const [, reaction, reply] = server.simulatorState().sent.filter((s) => s.recipient === '4915112345678')
    expect(reaction!.body.reaction).toEqual({ message_id: wamid, emoji: '👍' })
    expect(reply!.body.context).toEqual({ message_id: wamid })
  })

  it('shows an image the customer sends once Postfach has downloaded it', async () => {
    const res = await fetch(`${server.url}/simulator/api/customers/4915112345678/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'image', caption: 'Foto vom Paket' }),
    })
    expect(res.status).toBe(201)
    const img = page.getByRole('img', { name: 'Foto vom Paket' })
    await img.waitFor({ timeout: 10_000 })
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(240) // the simulator's parcel picture
  })

  it('shows what the business offered and sent (reply buttons, a template’s text), and the customer’s answer quoting it', async () => {
    const agent = await server.login('agent')
    const { id } = await server.database.db.selectFrom('conversations').select('id').executeTakeFirstOrThrow()
    const send = (body: object) => agent.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, payload: body })
    expect((await send({ type: 'interactive', interactive: { type: 'button', body: { text: 'Haben Sie die Rechnung noch?' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Ja, habe ich' } }, { type: 'reply', reply: { id: 'no', title: 'Nein' } }] } } })).statusCode).toBe(202)
    expect((await send({ type: 'template', template: { name: 'order_shipped', language: { code: 'de' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '4711' }] }] } })).statusCode).toBe(202)
    const offer = page.locator('.bubble.outbound', { hasText: 'Haben Sie die Rechnung noch?' })
    await offer.getByRole('list', { name: 'Angebotene Antworten' }).getByText('Ja, habe ich').waitFor()
    await page.locator('.bubble.outbound', { hasText: 'Ihre Bestellung 4711 ist unterwegs.' }).waitFor()
    // The customer taps a button: the answer quotes the question, not a placeholder.
    const sim = server.simulatorState()
    const asked = await eventually(() => sim.sent.find((s) => s.body.type === 'interactive'))
    sim.customerSends('4915112345678', 'Erika Mustermann', 'interactive', { type: 'button_reply', button_reply: { id: 'yes', title: 'Ja, habe ich' } }, { context: { from: sim.identity.displayPhoneNumber, id: asked.wamid } })
    await page.locator('.bubble.inbound', { hasText: 'Auswahl: Ja, habe ich' }).locator('blockquote', { hasText: 'Haben Sie die Rechnung noch?' }).waitFor()
    expect(await page.getByText('{{', { exact: false }).count()).toBe(0)
    await page.screenshot({ path: screenshotPath('inbox-interactive') })
  })

  it('explains an over-long message before sending and offers a template when the window is closed', async () => {
    await page.getByLabel('Nachricht', { exact: true }).fill('x'.repeat(4100))
    await page.getByText('Höchstens 4096 Zeichen (4 zu viele).').waitFor()
    expect(await page.getByRole('button', { name: 'Senden', exact: true }).isDisabled()).toBe(true)
    await page.getByLabel('Nachricht', { exact: true }).fill('')

    const { id } = await server.database.db.selectFrom('conversations').select('id').executeTakeFirstOrThrow()
    await server.database.db.updateTable('conversations').set({ last_inbound_at: new Date(Date.now() - 25 * 3600_000).toISOString() }).where('id', '=', id).execute()
    server.hub.conversationsChanged([id])
    await page.getByText('Das 24-Stunden-Fenster ist geschlossen').waitFor()
    await page.getByRole('button', { name: 'Vorlage senden' }).click()
    await page.locator('.bubble.outbound', { hasText: 'Hello World' }).waitFor() // the template's text, as the customer got it
  })

  it('snoozes the conversation until tomorrow; the customer writing opens it again; a due reminder rings the bell', async () => {
    const header = page.locator('.chat-header')
    await header.getByRole('button', { name: 'Zurückstellen' }).click()
    const menu = page.getByRole('group', { name: 'Zurückstellen bis' })
    await menu.getByLabel('Datum und Uhrzeit').waitFor()
    await page.screenshot({ path: screenshotPath('inbox-snooze') })
    await menu.getByRole('button', { name: 'Morgen, 9:00 Uhr' }).click()
    await header.locator('.reminder', { hasText: /^\s*bis .*09:00$/ }).waitFor()
    expect(await header.getByLabel('Status der Unterhaltung').inputValue()).toBe('pending')
    await page.locator('.conversation .status-pill', { hasText: /Wartend bis .*09:00/ }).waitFor()
    const { id, pending_until } = await server.database.db.selectFrom('conversations').select(['id', 'pending_until']).executeTakeFirstOrThrow()
    const tomorrow9 = new Date()
    tomorrow9.setDate(tomorrow9.getDate() + 1)
    tomorrow9.setHours(9, 0, 0, 0)
    expect(pending_until).toBe(tomorrow9.toISOString())

    server.simulatorState().customerSends('4915112345678', 'Erika Mustermann', 'text', { body: 'Eine Frage noch' })
    await expect.poll(() => header.getByLabel('Status der Unterhaltung').inputValue(), { timeout: 10_000 }).toBe('open')
    expect(await header.locator('.reminder').count()).toBe(0)

    // A reminder set for a moment from now (through the API: the menu offers hours, not seconds) comes due.
    const login = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@example.com', password: 'root-password-123' } })
    const headers = { cookie: `postfach_session=${login.cookies.find((c) => c.name === 'postfach_session')!.value}`, 'x-csrf-token': login.json().csrfToken }
    const root = login.json().user.id as string
    const snoozed = await server.app.inject({ method: 'PATCH', url: `/api/conversations/${id}`, headers, payload: { assigneeId: root, pendingUntil: new Date(Date.now() + 1000).toISOString() } })
    expect(snoozed.statusCode).toBe(200)
    await page.getByRole('button', { name: 'Benachrichtigungen, 1 neu' }).waitFor({ timeout: 10_000 })
    await page.getByRole('button', { name: 'Benachrichtigungen, 1 neu' }).click()
    await page.getByText('Erinnerung: Unterhaltung mit Erika Mustermann ist wieder offen').waitFor()
    expect(await header.getByLabel('Status der Unterhaltung').inputValue()).toBe('open')
    await page.getByRole('button', { name: 'Benachrichtigungen, 1 neu' }).click()

    // A reminder can be taken back without ending the wait.
    await header.getByRole('button', { name: 'Zurückstellen' }).click()
    await menu.getByRole('button', { name: 'In einer Stunde' }).click()
    await header.getByRole('button', { name: 'Erinnerung entfernen' }).click()
    await expect.poll(async () => (await server.database.db.selectFrom('conversations').select(['status', 'pending_until']).where('id', '=', id).executeTakeFirstOrThrow())).toEqual({ status: 'pending', pending_until: null })
    await expect.poll(() => header.locator('.reminder').count()).toBe(0)
    await header.getByRole('button', { name: 'Erledigen' }).click()
    await expect.poll(() => header.getByLabel('Status der Unterhaltung').inputValue()).toBe('resolved')
  })

  it('keeps a half-written reply with its conversation: it never follows the agent into another chat', async () => {
    server.simulatorState().customerSends('4915199999999', 'Max Zweiter', 'text', { body: 'Guten Tag' })
    const erika = page.locator('.conversation', { hasText: 'Erika Mustermann' })
    const max = page.locator('.conversation', { hasText: 'Max Zweiter' })
    await max.waitFor({ timeout: 10_000 })
    const composer = page.getByLabel('Nachricht', { exact: true })
    await erika.click()
    await composer.fill('Liebe Frau Mustermann, Ihre IBAN endet auf 4711')
    await max.click()
    await page.locator('.chat-header h2', { hasText: 'Max Zweiter' }).waitFor()
    expect(await composer.inputValue()).toBe('')
    await composer.fill('Hallo Herr Zweiter')
    // Writing a reply shows the customer that someone is typing (and marks their message read).
    await expect.poll(() => server.simulatorState().isTyping('4915199999999')).toBe(true)
    expect(server.simulatorState().isTyping('4915112345678')).toBe(false)
    await erika.click()
    await page.locator('.chat-header h2', { hasText: 'Erika Mustermann' }).waitFor()
    expect(await composer.inputValue()).toBe('Liebe Frau Mustermann, Ihre IBAN endet auf 4711')
    await max.click()
    await page.locator('.chat-header h2', { hasText: 'Max Zweiter' }).waitFor()
    expect(await composer.inputValue()).toBe('Hallo Herr Zweiter')
    await composer.press('Enter')
    await page.locator('.bubble.outbound', { hasText: 'Hallo Herr Zweiter' }).waitFor()
    expect(await composer.inputValue()).toBe('')
    expect(server.simulatorState().isTyping('4915199999999')).toBe(false)
    expect(server.simulatorState().sent.filter((s) => s.recipient === '4915199999999').map((s) => (s.body.text as { body: string }).body)).toEqual(['Hallo Herr Zweiter'])
    await erika.click()
    await page.locator('.chat-header h2', { hasText: 'Erika Mustermann' }).waitFor()
    expect(await composer.inputValue()).toBe('Liebe Frau Mustermann, Ihre IBAN endet auf 4711')
    await composer.fill('')
  })

  it('shows only the open conversation’s messages, whatever order the answers come in', async () => {
    const erika = page.locator('.conversation', { hasText: 'Erika Mustermann' })
    const max = page.locator('.conversation', { hasText: 'Max Zweiter' })
    const erikaId = await erika.getAttribute('data-conversation-id')
    await max.click()
    await page.locator('.chat-header h2', { hasText: 'Max Zweiter' }).waitFor()
    const erikaMessages = await holdBack(page, (url) => url.pathname === `/api/conversations/${erikaId}/messages`)
    // The agent passes Erika on the way to Max; Erika's messages answer last.
    await erika.click()
    await max.click()
    await page.locator('.chat-header h2', { hasText: 'Max Zweiter' }).waitFor()
    await page.locator('.bubble.outbound', { hasText: 'Hallo Herr Zweiter' }).waitFor()
    await erikaMessages.release()
    expect(await page.locator('.bubble', { hasText: 'Ist meine Bestellung' }).count()).toBe(0)
    expect(await page.locator('.chat-header h2').textContent()).toContain('Max Zweiter')
  })

  it('picks several conversations and resolves and assigns them at once', async () => {
    await page.getByRole('button', { name: 'Mehrere auswählen' }).click()
    const bar = page.getByRole('toolbar', { name: 'Auswahl bearbeiten' })
    await bar.getByText('0 ausgewählt').waitFor()
    await page.getByLabel('Max Zweiter auswählen').check()
    await page.getByLabel('Erika Mustermann auswählen').check()
    await bar.getByText('2 ausgewählt').waitFor()
    expect(await bar.getByRole('checkbox').isChecked()).toBe(true) // every loaded conversation is picked
    await page.screenshot({ path: screenshotPath('inbox-bulk') })
    await bar.getByLabel('Zuweisen an …').selectOption({ label: 'Ich (Administrator)' })
    await page.getByRole('button', { name: 'Mehrere auswählen' }).waitFor() // done: the bar gives way
    const rows = await server.database.db.selectFrom('conversations').innerJoin('users', 'users.id', 'conversations.assignee_id').select(['users.email']).execute()
    expect(rows.map((r) => r.email)).toEqual(['root@example.com', 'root@example.com'])
    await expect.poll(() => page.locator('.conversation .assignee-avatar').count()).toBe(2)

    await page.getByRole('button', { name: 'Mehrere auswählen' }).click()
    await bar.getByRole('checkbox').check()
    await bar.getByRole('button', { name: 'Erledigen' }).click()
    await page.getByRole('button', { name: 'Mehrere auswählen' }).waitFor()
    const statuses = await server.database.db.selectFrom('conversations').select('status').execute()
    expect(statuses.map((r) => r.status)).toEqual(['resolved', 'resolved'])
    await expect.poll(() => page.locator('.conversation .status-pill', { hasText: 'Erledigt' }).count()).toBe(2)

    // Snoozed together until tomorrow, 9:00.
    await page.getByRole('button', { name: 'Mehrere auswählen' }).click()
    await bar.getByRole('checkbox').check()
    await bar.getByRole('button', { name: 'Zurückstellen' }).click()
    await page.getByRole('group', { name: 'Zurückstellen bis' }).getByRole('button', { name: 'Morgen, 9:00 Uhr' }).click()
    await page.getByRole('button', { name: 'Mehrere auswählen' }).waitFor()
    const tomorrow9 = new Date()
    tomorrow9.setDate(tomorrow9.getDate() + 1)
    tomorrow9.setHours(9, 0, 0, 0)
    const snoozed = await server.database.db.selectFrom('conversations').select(['status', 'pending_until']).execute()
    expect(snoozed).toEqual([0, 1].map(() => ({ status: 'pending', pending_until: tomorrow9.toISOString() })))
  })

  it('lists the customers waiting for an answer, longest waiting first', async () => {
    server.simulatorState().customerSends('4915199999999', 'Max Zweiter', 'text', { body: 'Noch eine Frage' })
    await page.locator('.conversation', { hasText: 'Noch eine Frage' }).waitFor({ timeout: 20_000 })
    await page.getByLabel('Reihenfolge').selectOption('waiting')
    // Those whose customer waits for a colleague's answer (the snoozed ones do not), from their first unanswered message.
    const rows = await server.database.db.selectFrom('conversations').select(['id', 'awaiting_reply_since']).execute()
    const waiting = rows.flatMap((r) => (r.awaiting_reply_since ? [{ id: r.id, since: r.awaiting_reply_since }] : [])).sort((a, b) => a.since.localeCompare(b.since) || a.id.localeCompare(b.id))
    expect(waiting.length).toBeGreaterThan(0)
    await expect.poll(() => page.locator('.conversation').evaluateAll((els) => els.map((e) => e.getAttribute('data-conversation-id')))).toEqual(waiting.map((r) => r.id))
    // Answering takes Max out of the queue at once. The chat switches with the click, before
    // Max's conversation is fetched (here held back): the previous chat's composer must not take the words.
    const maxRow = page.locator('.conversation', { hasText: 'Max Zweiter' })
    const maxId = await maxRow.getAttribute('data-conversation-id')
    const maxFetch = await holdBack(page, (url) => url.pathname === `/api/conversations/${maxId}`)
    await maxRow.click()
    await page.getByLabel('Nachricht', { exact: true }).fill('Gern, worum geht es?')
    await page.getByLabel('Nachricht', { exact: true }).press('Enter')
    await expect.poll(() => server.simulatorState().sent.filter((s) => (s.body.text as { body?: string } | undefined)?.body === 'Gern, worum geht es?').map((s) => s.recipient)).toEqual(['4915199999999'])
    await maxFetch.release()
    await expect.poll(() => page.locator('.conversation', { hasText: 'Max Zweiter' }).count()).toBe(0)
    await page.getByLabel('Reihenfolge').selectOption('newest')

    // Changing the order back and forth: the list of the latest choice stays, however late the other answers.
    const all = (await server.database.db.selectFrom('conversations').select('id').execute()).length
    await expect.poll(() => page.locator('.conversation').count()).toBe(all)
    const waitingList = await holdBack(page, (url) => url.pathname === '/api/conversations' && url.searchParams.get('order') === 'waiting')
    await page.getByLabel('Reihenfolge').selectOption('waiting')
    await waitingList.asked
    const newestList = answerTo(page, (url) => url.pathname === '/api/conversations' && !url.searchParams.has('order'))
    await page.getByLabel('Reihenfolge').selectOption('newest')
    await newestList
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200))) // shown
    await waitingList.release()
    expect(await page.locator('.conversation').count()).toBe(all)
  })

  it('switches to English and logs out', async () => {
    await page.getByLabel('Sprache', { exact: true }).selectOption('en')
    // Forms speak English too, down to their examples.
    await page.goto(`${server.url}/#/settings/templates`)
    const form = page.getByRole('form', { name: 'New template' })
    expect(await form.getByLabel('Name').getAttribute('placeholder')).toBe('order_on_its_way')
    await page.goto(`${server.url}/#/settings/quick-replies`)
    expect(await page.getByLabel('Shortcut').getAttribute('placeholder')).toBe('thanks')
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.getByRole('button', { name: 'Log in' }).waitFor()
    expect(foreign).toEqual([])
  })
})
