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
})
