import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/modules/auth/passwords.js'
import { insertUser } from '../../src/modules/auth/users.repo.js'
import { customerWrites, DIALECT, eventually, startTestServer, type TestServer } from '../helpers.js'
import { launchBrowser, screenshotPath, seriousViolations, signedInPage } from './browser.js'

describe(`${DIALECT}: automatic assignment in the browser`, () => {
  let server: TestServer
  let browser: Browser
  let admin: Page
  let clara: Page
  let claraId: string
  const foreign: string[] = []

  beforeAll(async () => {
    server = await startTestServer()
    claraId = (await insertUser(server.database.db, { email: 'clara@example.com', name: 'Clara Conrad', role: 'agent', passwordHash: await hashPassword('claras-password-123') })).id
    browser = await launchBrowser()
    // bypassCSP only so that axe-core can be injected; the CSP itself is tested elsewhere.
    const a = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 }, bypassCSP: true })
    const c = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 }, bypassCSP: true })
    for (const ctx of [a, c]) ctx.on('request', (r) => void (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url()) && foreign.push(r.url())))
    admin = await signedInPage(a, server.url, 'root@example.com', 'root-password-123')
    clara = await signedInPage(c, server.url, 'clara@example.com', 'claras-password-123')
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  const assigneeOf = async (id: string) => (await server.database.db.selectFrom('conversations').select('assignee_id').where('id', '=', id).executeTakeFirstOrThrow()).assignee_id

  it('an admin switches it on under Einstellungen → Zuweisung and sees who is there', async () => {
    await admin.getByRole('link', { name: 'Einstellungen' }).click()
    await admin.getByRole('link', { name: 'Zuweisung' }).click()
    const form = admin.getByRole('form', { name: 'Zuweisung' })
    await form.getByLabel('Neue Unterhaltungen automatisch zuweisen').check()
    await form.getByLabel('Höchstens offene Unterhaltungen je Person').fill('5')
    await form.getByRole('button', { name: 'Speichern' }).click()
    await form.getByText('Gespeichert.').waitFor()
    expect((await server.database.db.selectFrom('settings').select('value').where('key', '=', 'inbox.assignment').executeTakeFirstOrThrow()).value).toBe(JSON.stringify({ enabled: true, includeAdmins: false, maxOpenPerPerson: 5 }))
    // Clara has the app open and is available; the board says so.
    const row = admin.getByRole('table', { name: 'Team jetzt' }).getByRole('row', { name: /Clara Conrad/ })
    await row.getByText('Verfügbar').waitFor()
    await row.getByRole('cell', { name: 'ja', exact: true }).waitFor()
    // Quiet conversations: resolved after 30 days without an answer from the customer.
    const quiet = admin.getByRole('form', { name: 'Ruhende Unterhaltungen erledigen' })
    await quiet.getByLabel('Erledigen nach so vielen Tagen ohne Antwort des Kunden').fill('30')
    await quiet.getByRole('button', { name: 'Speichern' }).click()
    await quiet.getByText('Gespeichert.').waitFor()
    expect((await server.database.db.selectFrom('settings').select('value').where('key', '=', 'inbox.auto_resolve').executeTakeFirstOrThrow()).value).toBe(JSON.stringify({ afterDays: 30 }))
    expect(await seriousViolations(admin)).toEqual([])
    await admin.screenshot({ path: screenshotPath('settings-assignment'), fullPage: true })
  })

  it('a customer who writes lands with Clara, who is told under the bell and opens it from there', async () => {
    const { conversationId } = await customerWrites(server, '4915500000001', 'Ich habe eine Frage zu meiner Bestellung', 'Otto Ostermann')
    await eventually(async () => (await assigneeOf(conversationId)) === claraId)
    await clara.getByRole('button', { name: /Benachrichtigungen, 1 neu/ }).click()
    await clara.getByRole('button', { name: /Ihnen zugewiesen: Unterhaltung mit Otto Ostermann/ }).click()
    await clara.getByRole('heading', { name: 'Otto Ostermann' }).waitFor()
    await clara.locator('li.bubble').getByText('Ich habe eine Frage zu meiner Bestellung').first().waitFor()
    // The admin's board counts it.
    await admin.getByRole('table', { name: 'Team jetzt' }).getByRole('row', { name: /Clara Conrad/ }).getByRole('cell', { name: '1', exact: true }).waitFor()
  })

  it('Clara sets herself away in the top bar: the next customer waits unassigned', async () => {
    const status = clara.getByLabel('Mein Status')
    expect(await status.inputValue()).toBe('available')
    await status.selectOption({ label: 'Abwesend' })
    await eventually(async () => (await server.database.db.selectFrom('team_presence').select('availability').where('user_id', '=', claraId).executeTakeFirst())?.availability === 'away')
    await clara.screenshot({ path: screenshotPath('availability-away') })
    const { conversationId } = await customerWrites(server, '4915500000002', 'Hallo?', 'Paula Pause')
    await new Promise((r) => setTimeout(r, 500))
    expect(await assigneeOf(conversationId)).toBeNull()
    await admin.getByRole('table', { name: 'Team jetzt' }).getByRole('row', { name: /Clara Conrad/ }).getByText('Abwesend').waitFor()
    // Back: the waiting customer comes to her at once.
    await status.selectOption({ label: 'Verfügbar' })
    await eventually(async () => (await assigneeOf(conversationId)) === claraId)
    // After a reload the switch shows what the server has.
    await clara.reload()
    expect(await clara.getByLabel('Mein Status').inputValue()).toBe('available')
    expect(foreign).toEqual([])
  })
})
