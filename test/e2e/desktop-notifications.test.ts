import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { messagesEnvelope } from '../../src/simulator/payloads.js'
import { DIALECT, eventually, type TestServer } from '../helpers.js'
import { useAdminBrowser } from './browser.js'

declare global {
  interface Window {
    shown: { title: string; body: string }[]
  }
}

describe(`${DIALECT}: the bell's news on the desktop`, () => {
  const ctx = useAdminBrowser()
  let server: TestServer
  let page: Page

  beforeAll(async () => {
    ;({ server, page } = ctx)
    // The browser's notifications, permitted and recorded; Postfach is in another tab (no focus).
    await page.context().addInitScript(() => {
      window.shown = []
      class Recorded {
        static permission = 'granted'
        static requestPermission = async () => 'granted'
        onclick: (() => void) | null = null
        constructor(title: string, options?: { body?: string }) {
          window.shown.push({ title, body: options?.body ?? '' })
        }
      }
      Object.defineProperty(window, 'Notification', { value: Recorded })
      document.hasFocus = () => false
    })
    await page.reload()
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
  })

  it('a new notification under the bell also shows as a desktop notification while Postfach is not in front; old ones do not', async () => {
    const { identity } = server.simulatorState()
    const body = messagesEnvelope(identity, {
      contacts: [{ wa_id: '4915800000301', profile: { name: 'Dora Desktop' } }],
      messages: [{ from: '4915800000301', id: 'wamid.desktop-1', timestamp: String(Math.floor(Date.now() / 1000) - 3600), type: 'text', text: { body: 'Hallo?' } }],
    })
    expect((await server.webhook(body)).statusCode).toBe(200)
    const admin = await server.login('admin')
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/reply-target', payload: { minutes: 30, openingHoursOnly: false } })).statusCode).toBe(200)
    await page.getByRole('button', { name: /Benachrichtigungen, 1 neu/ }).waitFor()
    // (The customer's message itself pops up too, as new messages do.)
    const overdue = { title: 'Antwort überfällig: Dora Desktop wartet länger als das Antwortziel', body: '' }
    await eventually(async () => (await page.evaluate(() => window.shown)).some((n) => n.title === overdue.title))
    expect((await page.evaluate(() => window.shown)).filter((n) => n.title.startsWith('Antwort überfällig'))).toEqual([overdue])
    // After a reload the same notification is known: nothing pops up again.
    await page.reload()
    await page.getByRole('button', { name: /Benachrichtigungen, 1 neu/ }).waitFor()
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(await page.evaluate(() => window.shown)).toEqual([])
  })
})
