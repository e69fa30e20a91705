import { describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually } from '../helpers.js'
import { screenshotPath, seriousViolations, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: keyboard commands in the inbox`, () => {
  const ctx = useAdminBrowser()

  it('J/K move through the list, R goes to the reply field, A assigns to me, E resolves, U marks unread, ? shows them all; a letter typed in a reply is only text', async () => {
    const { server, page } = ctx
    const first = await customerWrites(server, '4915600000301', 'Erste Frage', 'Tina Tastatur')
    const second = await customerWrites(server, '4915600000302', 'Zweite Frage', 'Otto Oben')
    const conversation = async (id: string) => (await (await page.context().request.get(`${server.url}/api/conversations/${id}`)).json()) as { status: string; assigneeId: string | null; unreadCount: number }
    const me = (await (await page.context().request.get(`${server.url}/api/auth/me`)).json()) as { user: { id: string } }

    const list = page.getByRole('list', { name: 'Unterhaltungen' })
    await list.getByRole('button', { name: /Otto Oben/ }).click()
    await page.getByRole('heading', { name: 'Otto Oben' }).waitFor()
    // Out of the list button: the keys work anywhere but in a field.
    await page.locator('.chat-header h2').click()
    await page.keyboard.press('j')
    await page.getByRole('heading', { name: 'Tina Tastatur' }).waitFor()
    await page.keyboard.press('k')
    await page.getByRole('heading', { name: 'Otto Oben' }).waitFor()
    await page.keyboard.press('j')
    await page.getByRole('heading', { name: 'Tina Tastatur' }).waitFor()

    // R: into the reply field, where "e" and "a" are letters; Esc leaves it with the draft kept.
    await page.keyboard.press('r')
    const field = page.getByRole('textbox', { name: 'Nachricht', exact: true })
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(true)
    await page.keyboard.type('ea')
    expect(await field.inputValue()).toBe('ea')
    await page.keyboard.press('Escape')
    await expect.poll(() => field.evaluate((el) => el === document.activeElement)).toBe(false)
    expect(await field.inputValue()).toBe('ea')
    expect(await conversation(first.conversationId)).toMatchObject({ status: 'open', assigneeId: null })

    await page.keyboard.press('a')
    await expect.poll(async () => (await conversation(first.conversationId)).assigneeId).toBe(me.user.id)
    await page.keyboard.press('e')
    await expect.poll(async () => (await conversation(first.conversationId)).status).toBe('resolved')
    await page.getByRole('button', { name: 'Wieder öffnen' }).waitFor()

    // ? opens the overview (a dialog, where the letters do nothing); Esc closes it.
    await page.keyboard.press('?')
    const dialog = page.getByRole('dialog', { name: 'Tastenkürzel' })
    await dialog.waitFor()
    expect(await dialog.getByRole('row').count()).toBe(10) // the head and nine commands
    await dialog.getByRole('row', { name: /Als ungelesen markieren/ }).getByText('U', { exact: true }).waitFor()
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: screenshotPath('inbox-shortcuts') })
    await page.keyboard.press('u')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    await page.getByRole('heading', { name: 'Tina Tastatur' }).waitFor() // the "u" in the dialog did nothing
    expect((await conversation(first.conversationId)).unreadCount).toBe(0)

    // U: unread, back to the list.
    await page.keyboard.press('u')
    await page.getByText('Wählen Sie links eine Unterhaltung.').waitFor()
    await eventually(async () => (await conversation(first.conversationId)).unreadCount === 1)
    expect((await conversation(second.conversationId)).status).toBe('open')
  })

  it("reaches a message's reply and reactions with the Tab key alone, and shows them while they have focus", async () => {
    const { server, page } = ctx
    await customerWrites(server, '4915600000303', 'Geht das auch ohne Maus?', 'Karla Klavier')
    await page.getByRole('list', { name: 'Unterhaltungen' }).getByRole('button', { name: /Karla Klavier/ }).click()
    await page.getByRole('heading', { name: 'Karla Klavier' }).waitFor()
    const question = page.locator('.bubble.inbound', { hasText: 'Geht das auch ohne Maus?' })
    await question.waitFor()
    // Hidden from the mouse's view until wanted, but never from the keyboard.
    const tabTo = async (label: string) => {
      const target = question.locator(`button[aria-label="${label}"]`)
      for (let i = 0; i < 40 && !(await target.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab')
      return { focused: await target.evaluate((el) => el === document.activeElement), visible: await target.isVisible(), shown: await actions.evaluate((el) => getComputedStyle(el).opacity) }
    }
    await page.locator('.chat-header h2').click()
    await page.mouse.move(0, 0) // no hover: only focus may show the actions
    const actions = question.locator('.bubble-actions')
    expect(await actions.evaluate((el) => getComputedStyle(el).opacity === '0' || getComputedStyle(el).display === 'none')).toBe(true) // out of sight until wanted
    expect(await tabTo('Antworten')).toEqual({ focused: true, visible: true, shown: '1' })
    await page.keyboard.press('Enter')
    const field = page.getByRole('textbox', { name: 'Nachricht', exact: true })
    await field.fill('Ja, alles geht per Tastatur.')
    await page.keyboard.press('Enter')

    await page.locator('.chat-header h2').click()
    expect(await tabTo('Reagieren')).toEqual({ focused: true, visible: true, shown: '1' })
    await page.keyboard.press('Enter')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Mit 👍 reagieren')
    await page.keyboard.press('Enter')

    const wamid = server.simulatorState().received.find((r) => r.waId === '4915600000303')!.wamid
    const sent = () => server.simulatorState().sent.filter((s) => s.recipient === '4915600000303').map((s) => ({ type: s.body.type, context: s.body.context, reaction: s.body.reaction }))
    await expect.poll(sent).toEqual([
      { type: 'text', context: { message_id: wamid }, reaction: undefined },
      { type: 'reaction', context: undefined, reaction: { message_id: wamid, emoji: '👍' } },
    ])
  })
})
