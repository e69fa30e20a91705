import type { Locator, Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT } from '../helpers.js'
import { axeViolations, screenshotPath, signedInPage, useAdminBrowser } from './browser.js'

const WIDTH = 390

const scrollWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth)

/**
 * What runs off the screen, sideways: elements that reach past its edges while their parent does
 * not, unless a sideways scroller of their own (a wide table) holds them. The page's main area
 * does not count as such a scroller: a form that only fits by scrolling the whole page is cut off.
 */
function offScreen(page: Page, width: number): Promise<string[]> {
  return page.evaluate((width) => {
    const found: string[] = []
    for (const el of document.querySelectorAll('body *')) {
      const box = el.getBoundingClientRect()
      if (box.width === 0 || box.height === 0 || (box.right <= width + 0.5 && box.left >= -0.5)) continue
      const parent = el.parentElement!.getBoundingClientRect()
      if (parent.right > width + 0.5 || parent.left < -0.5) continue
      let held = false
      for (let a = el.parentElement; a && a.tagName !== 'MAIN' && !held; a = a.parentElement) held = /auto|scroll/.test(getComputedStyle(a).overflowX)
      if (!held) found.push(`${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40)}" to ${Math.round(box.right)} px`)
    }
    return found
  }, width)
}

/**
 * Every settings section, the statistics and the campaigns at a window of this width, by page: what
 * runs off it, and accessibility faults of moderate impact or more (a table that scrolls on its own
 * must take focus, so that a keyboard can scroll it).
 */
async function faultsByPage(page: Page, url: string, width: number): Promise<{ hash: string; width: number; offScreen: string[]; violations: string[] }[]> {
  await page.goto(`${url}/#/settings/users`)
  await page.getByRole('heading', { name: 'Benutzer', exact: true }).waitFor()
  const sections = await page.locator('.settings-nav a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!))
  expect(sections).toContain('#/settings/automation')
  const pages = []
  for (const hash of [...sections, '#/stats', '#/campaigns']) {
    await page.goto(`${url}/${hash}`)
    await page.locator('main h2').first().waitFor()
    await page.waitForLoadState('networkidle')
    pages.push({ hash, width: await scrollWidth(page), offScreen: await offScreen(page, width), violations: await axeViolations(page, 'moderate') })
  }
  return pages
}

/** An agent on a phone: one column, the list or the chat, nothing running off the screen. */
describe(`${DIALECT}: the inbox on a phone`, () => {
  const LONG = 'Guten Tag, ich habe letzte Woche zwei Pakete bestellt und bisher nur eines bekommen. Können Sie nachsehen, wo das zweite ist?'
  const ctx = useAdminBrowser({}, async (s) => {
    await customerWrites(s, '4915188800002', LONG, 'Hanna Hell')
    await customerWrites(s, '4915188800001', 'Kommt das Paket heute noch?', 'Greta Gruen')
  })
  let phone: Page
  /** The first admin, signed in on a new German page of this size. */
  const signedInAdmin = async (width: number, height: number) => {
    const page = await signedInPage(await ctx.browser.newContext({ locale: 'de-DE', viewport: { width, height } }), ctx.server.url, 'root@example.com', 'root-password-123')
    page.setDefaultTimeout(20_000)
    return page
  }
  beforeAll(async () => {
    phone = await signedInAdmin(WIDTH, 844)
  })

  const pageWidth = () => scrollWidth(phone)

  it('shows the list, opens a chat in its place, answers, and goes back', async () => {
    const row = phone.locator('button.conversation', { hasText: 'Greta Gruen' })
    await row.waitFor()
    expect(await phone.getByText('Wählen Sie links eine Unterhaltung.').isVisible()).toBe(false)
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH)
    // The list alone on screen is the page's main content (a screen reader's "main" lands there).
    expect(await axeViolations(phone, 'moderate')).toEqual([])

    const question = phone.locator('.bubble.inbound', { hasText: 'Kommt das Paket heute noch?' })
    await row.click()
    await question.waitFor()
    expect(await row.isVisible()).toBe(false) // the chat has taken the list's place
    expect(await pageWidth()).toBeLessThanOrEqual(WIDTH)
    expect(await axeViolations(phone, 'moderate')).toEqual([])
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

  it('keeps every settings section, the statistics and the campaigns within the screen', async () => {
    // Rows in the lists, so that their tables are there to measure.
    const admin = await ctx.server.login('admin')
    for (const [url, payload] of [
      ['/api/tokens', { name: 'CRM-Anbindung Vertrieb', role: 'agent' }],
      ['/api/labels', { name: 'Reklamation', color: '#d93025' }],
      ['/api/quick-replies', { shortcut: 'danke', body: 'Vielen Dank für Ihre Nachricht, wir melden uns schnellstmöglich.', scope: 'team' }],
      ['/api/integrations', { name: 'ERP', url: 'https://erp.example.com/hooks/postfach' }],
      ['/api/privacy/breaches', { title: 'Laptop verloren' }],
    ] as const) expect((await admin.inject({ method: 'POST', url, payload })).statusCode).toBe(201)

    const pages = await faultsByPage(phone, ctx.server.url, WIDTH)
    expect(pages.filter((p) => p.width > WIDTH || p.offScreen.length > 0 || p.violations.length > 0)).toEqual([])
  })

  it('fits a tablet and a half-screen window: the top bar with its logout, and every page', async () => {
    for (const width of [1100, 768]) {
      const page = await signedInAdmin(width, 800)
      const logout = (await page.getByRole('button', { name: 'Abmelden' }).boundingBox())!
      expect({ width, logoutWithin: logout.x + logout.width <= width }).toEqual({ width, logoutWithin: true })
      const pages = await faultsByPage(page, ctx.server.url, width)
      expect(pages.filter((p) => p.width > width || p.offScreen.length > 0 || p.violations.length > 0)).toEqual([])
      if (width === 768) await page.screenshot({ path: screenshotPath('tablet-settings') })
      await page.context().close()
    }
  })
})
