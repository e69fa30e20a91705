import type { Locator, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

const WIDTH = 390

/** An agent on a phone: one column, the list or the chat, nothing running off the screen. */
describe(`${DIALECT}: the inbox on a phone`, () => {
  const LONG = 'Guten Tag, ich habe letzte Woche zwei Pakete bestellt und bisher nur eines bekommen. Können Sie nachsehen, wo das zweite ist?'
  const ctx = useAdminBrowser({}, async (s) => {
    await customerWrites(s, '4915188800002', LONG, 'Hanna Hell')
    await customerWrites(s, '4915188800001', 'Kommt das Paket heute noch?', 'Greta Gruen')
  })
  let phone: Page
  beforeAll(async () => {
    phone = await (await ctx.browser.newContext({ locale: 'de-DE', viewport: { width: WIDTH, height: 844 } })).newPage()
    phone.setDefaultTimeout(20_000)
    await phone.goto(ctx.server.url)
    await phone.getByLabel('E-Mail').fill('root@example.com')
    await phone.getByLabel('Passwort').fill('root-password-123')
    await phone.getByRole('button', { name: 'Anmelden' }).click()
    await phone.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
  })

  const pageWidth = () => phone.evaluate(() => document.documentElement.scrollWidth)

  it('shows the list, opens a chat in its place, answers, and goes back', async () => {
    const row = phone.locator('button.conversation', { hasText: 'Greta Gruen' })
    await row.waitFor()
    expect(await phone.getByText('Wählen Sie links eine Unterhaltung.').isVisible()).toBe(false)
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH)

    const question = phone.locator('.bubble.inbound', { hasText: 'Kommt das Paket heute noch?' })
    await row.click()
    await question.waitFor()
    expect(await row.isVisible()).toBe(false) // the chat has taken the list's place
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH)
    const composer = phone.getByLabel('Nachricht', { exact: true })
    const box = (await composer.boundingBox())!
    expect(box.x + box.width).toBeLessThanOrEqual(WIDTH)
    await composer.fill('Ja, bis 18 Uhr.')
    await phone.getByRole('button', { name: 'Senden', exact: true }).click()
    await phone.locator('.bubble.outbound', { hasText: 'Ja, bis 18 Uhr.' }).waitFor()
    await phone.screenshot({ path: screenshotPath('phone-chat') })

    await phone.getByRole('link', { name: 'Alle Unterhaltungen' }).click()
    await row.waitFor()
    expect(await question.isVisible()).toBe(false)
    // The top bar: name, bell, language and logout on one row; every section's link visible without scrolling.
    const top = async (control: Locator) => (await control.boundingBox())!.y
    const rowGap = Math.abs((await top(phone.getByRole('button', { name: 'Abmelden' }))) - (await top(phone.getByRole('button', { name: /^Benachrichtigungen/ }))))
    expect(rowGap).toBeLessThan(10) // a second row would start some 40 px lower
    const nav = phone.getByRole('navigation', { name: 'Hauptnavigation' })
    expect(await nav.evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0)
    expect(await phone.locator('.search-button kbd').isVisible()).toBe(false)
    await phone.screenshot({ path: screenshotPath('phone-list') })
  })

  it("offers a message's reply and reactions within the screen", async () => {
    await phone.goto(ctx.server.url)
    await phone.locator('button.conversation', { hasText: 'Hanna Hell' }).click()
    // A long message: its bubble takes the chat's whole width, so nothing fits beside it.
    const question = phone.locator('.bubble.inbound', { hasText: 'zwei Pakete' })
    await question.click() // a tap: the phone's browser gives the bubble hover
    const within = async (control: Locator) => {
      const box = (await control.boundingBox())!
      return box.x >= 0 && box.x + box.width <= WIDTH
    }
    const reply = question.getByRole('button', { name: 'Antworten' })
    const react = question.getByRole('button', { name: 'Reagieren' })
    expect({ reply: await within(reply), react: await within(react) }).toEqual({ reply: true, react: true })
    await react.click()
    const thumbs = question.getByRole('button', { name: 'Mit 👍 reagieren' })
    expect(await within(question.locator('.reaction-picker'))).toBe(true)
    await thumbs.click()
    const reactions = () => ctx.server.simulatorState().sent.filter((m) => m.recipient === '4915188800002' && m.body.type === 'reaction').map((m) => (m.body.reaction as { emoji: string }).emoji)
    await expect.poll(reactions).toEqual(['👍'])

    // The agent's own long answer, on the other side of the chat.
    await phone.getByLabel('Nachricht', { exact: true }).fill(LONG.replace('Guten Tag', 'Hallo Frau Hell'))
    await phone.getByRole('button', { name: 'Senden', exact: true }).click()
    const answer = phone.locator('.bubble.outbound', { hasText: 'Hallo Frau Hell' })
    await answer.locator('.bubble-actions').waitFor({ state: 'attached' }) // once sent (it has a WhatsApp id)
    await answer.click()
    expect({ reply: await within(answer.getByRole('button', { name: 'Antworten' })), react: await within(answer.getByRole('button', { name: 'Reagieren' })) }).toEqual({ reply: true, react: true })
    await answer.getByRole('button', { name: 'Reagieren' }).click()
    const heart = answer.getByRole('button', { name: 'Mit ❤️ reagieren' })
    expect(await within(answer.locator('.reaction-picker'))).toBe(true)
    await phone.screenshot({ path: screenshotPath('phone-bubble-actions') })
    await heart.click()
    await expect.poll(reactions).toEqual(['👍', '❤️'])
  })

  it('keeps the settings, the statistics and the campaigns within the screen', async () => {
    for (const [hash, heading] of [
      ['#/settings/users', 'Benutzer'],
      ['#/stats', 'Statistik'],
      ['#/campaigns', 'Kampagnen'],
    ] as const) {
      await phone.goto(`${ctx.server.url}/${hash}`)
      await phone.getByRole('heading', { name: heading, exact: true }).waitFor()
      expect({ hash, width: await pageWidth() }).toEqual({ hash, width: WIDTH })
    }
  })
})
