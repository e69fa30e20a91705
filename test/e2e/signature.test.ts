import { describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, eventually } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: replies signed with my name, in the browser`, () => {
  const ctx = useAdminBrowser()

  it('an admin switches it on under Allgemein; the composer says so and the reply goes with the name in bold', async () => {
    const { page, server } = ctx
    const { conversationId } = await customerWrites(server, '4915700000101', 'Kann ich morgen abholen?', 'Till Theke')
    await page.getByRole('link', { name: 'Einstellungen' }).click()
    await page.getByRole('link', { name: 'Allgemein' }).click()
    await page.getByLabel('Antworten mit dem Namen der Kollegin oder des Kollegen beginnen').check()
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByText('Gespeichert.').first().waitFor()

    await page.goto(`${server.url}/#/inbox/${conversationId}`)
    await page.reload()
    await page.getByText('Wird mit „Administrator“ in der ersten Zeile gesendet.').waitFor()
    await page.getByLabel('Nachricht', { exact: true }).fill('Ja, ab 10 Uhr.')
    await page.getByRole('button', { name: 'Senden', exact: true }).click()
    const bubble = page.locator('li.bubble.outbound', { hasText: 'Ja, ab 10 Uhr.' })
    await bubble.waitFor()
    // WhatsApp's *bold* shows as bold here too: the name the customer sees first.
    expect(await bubble.locator('strong', { hasText: 'Administrator' }).count()).toBe(1)
    // The bold line names the sender already: the bubble's own sender line is left out.
    expect(await bubble.locator('.sender').count()).toBe(0)
    // The list's one-line preview shows the text without WhatsApp's formatting marks.
    await page.locator('.conversation-preview', { hasText: 'Administrator Ja, ab 10 Uhr.' }).waitFor()
    expect(await page.locator('.conversation-preview', { hasText: '*Administrator*' }).count()).toBe(0)
    const stored = await eventually(() => server.simulatorState().sent.find((s) => JSON.stringify(s.body).includes('Ja, ab 10 Uhr.')))
    expect(stored.body).toMatchObject({ text: { body: '*Administrator*\nJa, ab 10 Uhr.' } })
    await page.screenshot({ path: screenshotPath('signed-reply') })
  })
})
