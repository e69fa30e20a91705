import { describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: marking a conversation unread in the browser`, () => {
  const ctx = useAdminBrowser()

  it('“Als ungelesen markieren” in the chat header leads back to the list, where the conversation shows one unread message', async () => {
    const { server, page } = ctx
    const { conversationId } = await customerWrites(server, '4915600000201', 'Können Sie das bitte später prüfen?', 'Ute Später')
    const list = page.getByRole('list', { name: 'Unterhaltungen' })
    await list.getByRole('button', { name: /Ute Später/ }).click()
    await page.getByRole('heading', { name: 'Ute Später' }).waitFor()
    // Opened: read.
    await eventually(async () => (await server.database.db.selectFrom('conversations').select('read_up_to').where('id', '=', conversationId).executeTakeFirstOrThrow()).read_up_to !== null)
    await list.getByRole('button', { name: /Ute Später/ }).getByLabel(/ungelesen/).waitFor({ state: 'detached' })

    await page.locator('.chat-header').screenshot({ path: screenshotPath('chat-header-mark-unread') })
    await page.getByRole('button', { name: 'Als ungelesen markieren' }).click()
    await page.getByText('Wählen Sie links eine Unterhaltung.').waitFor()
    expect(new URL(page.url()).hash).toBe('#/inbox')
    await list.getByRole('button', { name: /Ute Später/ }).getByLabel('1 ungelesene Nachricht').waitFor()
    // …and stays so: nothing reads it away behind the agent's back.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await page.context().request.get(`${server.url}/api/conversations/${conversationId}`)).ok()).toBe(true)
    expect((await (await page.context().request.get(`${server.url}/api/conversations/${conversationId}`)).json()).unreadCount).toBe(1)
    await list.getByRole('button', { name: /Ute Später/ }).getByLabel('1 ungelesene Nachricht').waitFor()
    await page.screenshot({ path: screenshotPath('inbox-marked-unread') })
  })
})
