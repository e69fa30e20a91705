import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/modules/auth/passwords.js'
import { insertUser } from '../../src/modules/auth/users.repo.js'
import { DIALECT, startTestServer, type TestServer } from '../helpers.js'
import { holdBack, launchBrowser, screenshotPath, seriousViolations, signedInPage } from './browser.js'

// A 1×1 PNG, as an agent would drop a screenshot into the composer.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

describe(`${DIALECT}: a team working the inbox together in real browsers`, () => {
  let server: TestServer
  let browser: Browser
  let admin: Page
  let ben: Page
  const foreign: string[] = []

  beforeAll(async () => {
    server = await startTestServer({ simulator: { behaviour: { statusStepMs: 100 } } })
    await insertUser(server.database.db, { email: 'ben@example.com', name: 'Ben Berger', role: 'agent', passwordHash: await hashPassword('bens-password-123') })
    browser = await launchBrowser()
    // bypassCSP only so that axe-core can be injected; the CSP itself is tested elsewhere.
    const a = await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 }, bypassCSP: true })
    const b = await browser.newContext({ locale: 'de-DE', viewport: { width: 1024, height: 768 } })
    for (const c of [a, b]) c.on('request', (r) => void (!r.url().startsWith(server.url) && !/^(data|blob):/.test(r.url()) && foreign.push(r.url())))
    admin = await signedInPage(a, server.url, 'root@example.com', 'root-password-123')
    ben = await signedInPage(b, server.url, 'ben@example.com', 'bens-password-123')
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('admin sets up labels, a team quick reply and the CRM link in the settings', async () => {
    await admin.getByRole('link', { name: 'Einstellungen' }).click()
    await admin.getByRole('link', { name: 'Labels' }).click()
    await admin.getByLabel('Name', { exact: true }).fill('Reklamation')
    await admin.getByRole('button', { name: 'Anlegen' }).click()
    await admin.locator('.chip', { hasText: 'Reklamation' }).waitFor()

    await admin.getByRole('link', { name: 'Schnellantworten' }).click()
    await admin.getByLabel('Abkürzung').fill('danke')
    await admin.getByLabel('Text', { exact: true }).fill('Danke, {{contact.name}}! Ihr {{agent.name}}')
    await admin.getByRole('button', { name: 'Anlegen' }).click()
    await admin.getByRole('cell', { name: '/danke', exact: true }).waitFor()

    await admin.getByRole('link', { name: 'Allgemein' }).click()
    await admin.getByLabel('CRM-Link').fill('https://crm.example/contacts?phone={{phone}}')
    await admin.getByRole('button', { name: 'Speichern' }).click()
    await admin.getByText('Gespeichert.').waitFor()

    await admin.getByRole('link', { name: 'Benutzer' }).click()
    await admin.getByRole('cell', { name: 'Ben Berger' }).waitFor()
    expect(await seriousViolations(admin)).toEqual([])
    // Long German names (Verarbeitungsverzeichnis) break inside the settings menu instead of running over its edge.
    const menu = admin.getByRole('navigation', { name: 'Einstellungen' })
    const menuRight = (await menu.boundingBox())!.x + (await menu.boundingBox())!.width
    for (const link of await menu.getByRole('link').all()) expect(await link.evaluate((a) => a.getBoundingClientRect().left + a.scrollWidth)).toBeLessThanOrEqual(menuRight)
    // … and only where a word may break (a space, a soft hyphen), even in bold, as the open page's entry is:
    // "Betroffenenanfragen" broke as "Betroffenenanfrage / n".
    const tooWide = await menu.evaluate((nav) => {
      const ctx = document.createElement('canvas').getContext('2d')!
      return Array.from(nav.querySelectorAll('a')).flatMap((a) => {
        const style = getComputedStyle(a)
        ctx.font = `600 ${style.fontSize} ${style.fontFamily}`
        const room = a.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
        return (a.textContent ?? '').split(/[\s\u00ad]+/).filter((part) => ctx.measureText(part).width > room)
      })
    })
    expect(tooWide).toEqual([])
    await admin.screenshot({ path: screenshotPath('settings-users') })
    await admin.getByRole('link', { name: 'WhatsApp-Nummer' }).click()
    await admin.getByRole('button', { name: 'Verbindung testen' }).click()
    await admin.getByText(/Verbunden: Postfach Demo/).waitFor()
    // Write-only credentials: a token Meta refuses is explained, and nothing changes.
    const form = admin.getByRole('form', { name: 'Zugangsdaten ändern' })
    await form.getByLabel('Phone-Number-ID').fill(server.simulatorState().identity.phoneNumberId)
    await form.getByLabel('WhatsApp-Business-Account-ID').fill(server.simulatorState().identity.wabaId)
    await form.getByLabel('Access-Token (System-User)').fill('EAAG-not-a-valid-token-0000')
    await form.getByLabel('App-Secret').fill('0123456789abcdef0123')
    await form.getByLabel('Verify-Token (frei wählbar)').fill('ein-neues-token')
    await form.getByLabel('Graph-API-Adresse (optional)').fill(`${server.url}/graph/v26.0`)
    await form.getByRole('button', { name: 'Prüfen und speichern' }).click()
    await admin.getByText(/Meta hat diese Zugangsdaten abgelehnt: .*190/).waitFor()
    expect(await server.database.db.selectFrom('settings').select('key').where('key', '=', 'whatsapp.credentials').executeTakeFirst()).toBeUndefined()
    await admin.screenshot({ path: screenshotPath('settings-channel') })
  })

  it('a new message shows unread in the list and the tab title; opening it clears both', async () => {
    await admin.getByRole('link', { name: 'Postfach' }).click()
    server.simulatorState().customerSends('4915700000001', 'Erika Muster', 'text', { body: 'Meine Bestellung kam beschädigt an' })
    const row = admin.locator('.conversation', { hasText: 'Erika Muster' })
    await row.waitFor()
    await row.getByLabel('1 ungelesene Nachricht').waitFor()
    await expect.poll(() => admin.title()).toBe('(1) Postfach')
    await row.click()
    await admin.locator('.bubble', { hasText: 'Meine Bestellung kam beschädigt an' }).waitFor()
    await expect.poll(() => admin.title()).toBe('Postfach')
    await expect.poll(() => row.getByLabel(/ungelesene/).count()).toBe(0)
  })

  it('labels a conversation and filters the list by label', async () => {
    await admin.getByRole('button', { name: /Labels/ }).click()
    await admin.getByRole('checkbox', { name: 'Reklamation' }).click()
    await admin.locator('.conversation .chip', { hasText: 'Reklamation' }).waitFor()
    await admin.getByRole('button', { name: /Labels/ }).click()
    server.simulatorState().customerSends('4915700000002', 'Otto Ohnelabel', 'text', { body: 'Hallo' })
    await admin.locator('.conversation', { hasText: 'Otto Ohnelabel' }).waitFor()
    await admin.getByLabel('Label', { exact: true }).selectOption({ label: 'Reklamation' })
    await expect.poll(() => admin.locator('.conversation', { hasText: 'Otto Ohnelabel' }).count()).toBe(0)
    expect(await admin.locator('.conversation', { hasText: 'Erika Muster' }).count()).toBe(1)
    await admin.getByLabel('Label', { exact: true }).selectOption({ label: 'Jedes Label' })
    await admin.locator('.conversation', { hasText: 'Otto Ohnelabel' }).waitFor()
  })

  it('inserts a quick reply with "/" and its variables filled, and sends it', async () => {
    await admin.locator('.conversation', { hasText: 'Erika Muster' }).click()
    const input = admin.getByLabel('Nachricht', { exact: true })
    await input.fill('')
    await input.pressSequentially('/da')
    await admin.getByRole('listbox', { name: 'Schnellantworten' }).waitFor()
    await admin.keyboard.press('Enter')
    await expect.poll(() => input.inputValue()).toBe('Danke, Erika Muster! Ihr Administrator')
    await admin.keyboard.press('Enter')
    await admin.locator('.bubble.outbound', { hasText: 'Danke, Erika Muster!' }).waitFor()
    await expect.poll(() => server.simulatorState().sent.filter((s) => s.recipient === '4915700000001').map((s) => (s.body.text as { body: string } | undefined)?.body)).toEqual(['Danke, Erika Muster! Ihr Administrator'])
  })

  it('a private note with an @mention stays internal and notifies the colleague live', async () => {
    const sentBefore = server.simulatorState().sent.length
    await admin.getByRole('tab', { name: 'Notiz' }).click()
    const note = admin.getByLabel('Interne Notiz')
    await note.pressSequentially('Bitte übernehmen @Be')
    await admin.getByRole('listbox', { name: 'Kolleginnen und Kollegen' }).waitFor()
    await admin.keyboard.press('Enter')
    await admin.getByRole('button', { name: 'Notiz speichern' }).click()
    await admin.locator('.note', { hasText: 'Bitte übernehmen @Ben Berger' }).waitFor()
    expect(server.simulatorState().sent.length).toBe(sentBefore)

    await ben.getByRole('button', { name: /Benachrichtigungen, 1 neu/ }).waitFor()
    await ben.getByRole('button', { name: /^Benachrichtigungen/ }).click()
    await ben.getByRole('button', { name: /hat Sie erwähnt/ }).click()
    await ben.locator('.note', { hasText: 'Bitte übernehmen' }).waitFor()
    await admin.getByRole('tab', { name: 'Antwort' }).click()
  })

  it('assignment moves between two agents in two browsers without reload', async () => {
    await ben.getByRole('link', { name: 'Postfach' }).click()
    await ben.getByRole('button', { name: 'Meine', exact: true }).click()
    await ben.getByText('Noch keine Unterhaltungen').waitFor()
    await admin.getByLabel('Zuständig').selectOption({ label: 'Ben Berger' })
    const row = ben.locator('.conversation', { hasText: 'Erika Muster' })
    await row.waitFor()
    await row.getByLabel('Zugewiesen an Ben Berger').waitFor()
    // The view shows how many open conversations it holds, kept current.
    const mine = ben.getByRole('button', { name: 'Meine', exact: true })
    await expect.poll(() => mine.locator('.view-count').textContent()).toBe('1')
    expect(await mine.getAttribute('title')).toBe('1 offene Unterhaltung')
    const unassigned = ben.getByRole('button', { name: 'Nicht zugewiesen', exact: true }).locator('.view-count')
    const unassignedBefore = (await unassigned.count()) ? Number(await unassigned.textContent()) : 0
    await row.click()
    await ben.getByLabel('Zuständig').selectOption({ label: 'Niemand' })
    await expect.poll(() => ben.locator('.conversation', { hasText: 'Erika Muster' }).count()).toBe(0)
    await expect.poll(() => mine.locator('.view-count').count()).toBe(0)
    await expect.poll(() => unassigned.textContent()).toBe(String(unassignedBefore + 1))
    await expect.poll(() => admin.getByLabel('Zuständig').inputValue()).toBe('')
    await ben.getByRole('button', { name: 'Alle', exact: true }).click()
  })

  it('uploads an image from the composer and shows it; refuses a file WhatsApp does not accept before uploading', async () => {
    await admin.locator('.conversation', { hasText: 'Erika Muster' }).click()
    const mediaBefore = (await server.database.db.selectFrom('media').select('id').execute()).length
    await admin.locator('input[type=file]').setInputFiles({ name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: Buffer.from('MZ') })
    await admin.getByText('WhatsApp nimmt diesen Dateityp nicht an').waitFor()
    expect((await server.database.db.selectFrom('media').select('id').execute()).length).toBe(mediaBefore)

    await admin.getByLabel('Nachricht', { exact: true }).fill('Das Etikett')
    await admin.locator('input[type=file]').setInputFiles({ name: 'etikett.png', mimeType: 'image/png', buffer: PNG })
    const img = admin.locator('.bubble.outbound img[alt="Das Etikett"]')
    await img.waitFor()
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(1)
    await expect.poll(() => server.simulatorState().sent.some((s) => s.recipient === '4915700000001' && s.body.type === 'image')).toBe(true)
  })

  it('finds a message with Ctrl+K, highlights the hit and jumps to it', async () => {
    await admin.locator('.conversation', { hasText: 'Otto Ohnelabel' }).click()
    await admin.keyboard.press('Control+k')
    await admin.getByRole('searchbox', { name: 'Suche' }).fill('beschädigt')
    const hit = admin.locator('.search-hit', { hasText: 'Erika Muster' })
    await hit.waitFor()
    expect(await hit.locator('mark').textContent()).toBe('beschädigt')
    await admin.screenshot({ path: screenshotPath('search') })
    await hit.click()
    await admin.locator('.bubble.highlighted', { hasText: 'Meine Bestellung kam beschädigt an' }).waitFor()
  })

  it('shows the hits of what is typed now, however late an earlier query answers', async () => {
    await admin.keyboard.press('Control+k')
    const box = admin.getByRole('searchbox', { name: 'Suche' })
    const slow = await holdBack(admin, (url) => url.pathname === '/api/search' && url.searchParams.get('q') === 'beschädigt')
    await box.fill('beschädigt')
    await slow.asked
    await box.fill('Kartoffelsalat')
    const none = admin.locator('.search-dialog').getByText('Keine Treffer.')
    await none.waitFor()
    await slow.release()
    expect(await admin.locator('.search-hit').count()).toBe(0)
    expect(await none.count()).toBe(1)
    await admin.keyboard.press('Escape')
  })

  it('shows the contact panel with the CRM link, moves with arrow keys, closes panels with Esc, and has no serious a11y violations', async () => {
    await admin.locator('.chat-title').click()
    const crm = admin.getByRole('link', { name: /Im CRM öffnen/ })
    expect(await crm.getAttribute('href')).toBe('https://crm.example/contacts?phone=%2B4915700000001')
    // The CRM button and the export link keep apart (they sat glued together, the link's text wrapping beside the button).
    const [a, b] = [(await crm.boundingBox())!, (await admin.getByRole('link', { name: 'Datenauskunft (ZIP)' }).boundingBox())!]
    expect(Math.max(b.x - (a.x + a.width), b.y - (a.y + a.height))).toBeGreaterThanOrEqual(8)
    await admin.screenshot({ path: screenshotPath('inbox-team') })
    expect(await seriousViolations(admin)).toEqual([])
    await admin.keyboard.press('Escape')
    await expect.poll(() => crm.count()).toBe(0)

    await admin.locator('body').click({ position: { x: 5, y: 300 } })
    const before = await admin.locator('.conversation[aria-current="true"]').textContent()
    await admin.keyboard.press('ArrowDown')
    await expect.poll(() => admin.locator('.conversation[aria-current="true"]').textContent()).not.toBe(before)
    expect(foreign).toEqual([])
  })
})
