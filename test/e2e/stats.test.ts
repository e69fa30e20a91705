import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { berlinToday, customerWrites, DIALECT, eventually, type TestServer } from '../helpers.js'
import { answerTo, holdBack, screenshotPath, seriousViolations, useAdminBrowser } from './browser.js'

/**
 * The browser runs in a time zone whose date differs from Berlin's right now (12 h or 13 h away):
 * the dashboard's days are the workspace's, whatever the clock of the agent's computer says.
 */
const berlinHour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', hourCycle: 'h23' }).format(new Date()))
const FAR_AWAY = berlinHour < 12 ? 'Etc/GMT+12' : 'Etc/GMT-14'

describe(`${DIALECT}: the statistics dashboard`, () => {
  const ctx = useAdminBrowser({}, async (server) => {
    const agent = await server.login('agent')
    for (const n of [1, 2, 3]) {
      const { conversationId } = await customerWrites(server, `491590000000${n}`, `Frage ${n}`)
      if (n < 3) await agent.inject({ method: 'POST', url: `/api/conversations/${conversationId}/messages`, payload: { type: 'text', text: { body: `Antwort ${n}` } } })
    }
    await eventually(async () => (await server.database.db.selectFrom('messages').select('id').where('status', '=', 'read').execute()).length === 2)
    // A reply target of an hour around the clock: both answers came within it.
    const admin = await server.login('admin')
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/reply-target', payload: { minutes: 60, openingHoursOnly: false } })).statusCode).toBe(200)
  }, FAR_AWAY)
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('shows today’s numbers as the API computes them, a chart and its table, a CSV download, and loads nothing from elsewhere', async () => {
    const foreign: string[] = []
    page.on('request', (r) => void (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url()) && foreign.push(r.url())))
    await page.getByRole('link', { name: 'Statistik' }).click()
    const card = (name: string) => page.locator('.stats-cards > div', { has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd').first()
    // This month so far, in the workspace's days.
    await expect.poll(() => page.getByLabel('Bis').inputValue()).toBe(berlinToday())
    expect(await page.getByLabel('Von').inputValue()).toBe(`${berlinToday().slice(0, 8)}01`)
    await expect.poll(() => card('Empfangen').textContent()).toBe('3')
    expect(await card('Gesendet').textContent()).toBe('2')
    expect(await card('Gelesen').textContent()).toBe('2')
    expect(await card('Fehlgeschlagen').textContent()).toBe('0')
    expect(await card('Antwortziel eingehalten').textContent()).toBe('100 %')
    await page.getByText(/^2 von 2 Antworten innerhalb von 60 min$/).waitFor()
    await page.locator('.stats-chart canvas').waitFor()
    const today = berlinToday() // the dashboard's days are the workspace's (Berlin) days
    // Periods read as dates in German („Mi., 02.12.“), the ISO day kept in the markup.
    const row = page.locator('.stats-table tbody tr', { has: page.locator(`time[datetime="${today}"]`) })
    expect(await row.locator('th').textContent()).toMatch(/^(Mo|Di|Mi|Do|Fr|Sa|So)\., \d{2}\.\d{2}\.$/)
    expect(await row.locator('th').textContent()).toContain(`${today.slice(8, 10)}.${today.slice(5, 7)}.`)
    expect((await row.getByRole('cell').allTextContents()).slice(0, 2)).toEqual(['3', '2'])
    // The reply target per day: both answers of today within it.
    await page.locator('.stats-table thead').getByText('Im Antwortziel').waitFor()
    expect((await row.getByRole('cell').allTextContents()).at(-1)).toBe('2 von 2')
    const csv = await page.getByRole('link', { name: 'CSV herunterladen' }).getAttribute('href')
    expect(csv).toMatch(/^\/api\/stats\/series\?from=.*&bucket=day&format=csv$/)
    await page.getByLabel('Einteilung').selectOption({ label: 'Monate' })
    await expect.poll(() => page.locator('.stats-table tbody tr').count()).toBe(1)
    const month = new Intl.DateTimeFormat('de-DE', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${today.slice(0, 8)}01T00:00:00Z`))
    await expect.poll(() => page.locator('.stats-table tbody th').textContent()).toBe(month)
    // Days asked for and months again before the days came: the months stay.
    const days = await holdBack(page, (url) => url.pathname === '/api/stats/series' && url.searchParams.get('bucket') === 'day')
    await page.getByLabel('Einteilung').selectOption({ label: 'Tage' })
    await days.asked
    const months = answerTo(page, (url) => url.pathname === '/api/stats/series' && url.searchParams.get('bucket') === 'month')
    await page.getByLabel('Einteilung').selectOption({ label: 'Monate' })
    await months
    await days.release()
    expect(await page.locator('.stats-table tbody th').allTextContents()).toEqual([month])
    await page.screenshot({ path: screenshotPath('stats'), fullPage: true })
    expect(foreign).toEqual([])
  })

  it('has no serious accessibility violations', async () => {
    const context = await ctx.browser.newContext({ locale: 'de-DE', bypassCSP: true, storageState: await page.context().storageState() })
    const p = await context.newPage()
    await p.goto(`${server.url}/#/stats`)
    await p.locator('.stats-cards').waitFor()
    expect(await seriousViolations(p)).toEqual([])
    await context.close()
  })
})
