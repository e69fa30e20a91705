import type { Page } from 'playwright-core'
import { unzipSync, zipSync } from 'fflate'
import { beforeAll, describe, expect, it } from 'vitest'
import { contactByNumber, DIALECT, eventually, type TestServer } from '../helpers.js'
import { screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: the data-protection officer's pages in the browser`, () => {
  const ctx = useAdminBrowser({ simulator: { behaviour: { statusStepMs: 100 } } })
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('GDPR-12: a request logged late shows as overdue with a warning; a new one can be extended with a reason', async () => {
    await page.goto(`${server.url}/#/settings/requests`)
    await page.getByRole('heading', { name: 'Betroffenenanfragen' }).waitFor()
    const form = page.getByRole('form', { name: 'Anfrage erfassen' })
    await form.getByLabel('Art').selectOption({ label: 'Löschung' })
    await form.getByLabel('Eingang über').selectOption({ label: 'Brief' })
    await form.getByLabel('Eingegangen am (leer: jetzt)').fill('2026-01-31T10:00')
    await form.getByRole('button', { name: 'Erfassen' }).click()
    await page.getByRole('alert').getByText('1 Anfrage ist überfällig.').waitFor()
    const overdueRow = page.locator('tr.overdue', { hasText: 'Löschung' })
    await overdueRow.getByText('28.02.2026').waitFor()

    await form.getByLabel('Art').selectOption({ label: 'Auskunft' })
    await form.getByRole('button', { name: 'Erfassen' }).click()
    const fresh = page.locator('tr', { hasText: 'Auskunft' })
    await fresh.getByText(/noch \d+ Tage/).waitFor()
    await fresh.getByRole('button', { name: 'Frist verlängern' }).click()
    await fresh.getByLabel('Begründung (wird der Person mitgeteilt)').fill('Umfangreiche Unterlagen aus drei Systemen')
    await fresh.getByRole('form', { name: 'Frist verlängern' }).getByRole('button', { name: 'Frist verlängern' }).click()
    await fresh.getByText('verlängert').waitFor()
    await page.screenshot({ path: screenshotPath('privacy-requests'), fullPage: true })
    const rows = await server.database.db.selectFrom('dsr_requests').select(['kind', 'extension_reason']).orderBy('created_at').execute()
    expect(rows).toEqual([{ kind: 'erasure', extension_reason: null }, { kind: 'access', extension_reason: 'Umfangreiche Unterlagen aus drei Systemen' }])
  })

  it('GDPR-33/34: a breach shows its 72-hour countdown; GDPR-30: the record opens; GDPR-5: the audit log lists what happened', async () => {
    await page.goto(`${server.url}/#/settings/breaches`)
    await page.getByLabel('Kurzbeschreibung').fill('Fehlversand eines Exports')
    await page.getByRole('button', { name: 'Erfassen' }).click()
    await page.locator('.card', { hasText: 'Fehlversand eines Exports' }).getByText(/noch 7[12] Stunden/).waitFor()
    // A checkbox sits beside its text, on one line (it stood above it, in a row of its own).
    const box = (await page.getByRole('checkbox', { name: 'Betroffene ebenfalls benachrichtigt (Art. 34)' }).boundingBox())!
    const text = (await page.getByText('Betroffene ebenfalls benachrichtigt (Art. 34)').boundingBox())!
    expect(Math.abs(box.y + box.height / 2 - (text.y + text.height / 2))).toBeLessThan(6)
    // With two breaches, each one's forms are told apart by name (a screen reader lists forms by name).
    await page.getByLabel('Kurzbeschreibung').fill('Laptop im Zug vergessen')
    await page.getByRole('button', { name: 'Erfassen' }).click()
    await page.getByRole('heading', { name: 'Laptop im Zug vergessen' }).waitFor()
    await page.getByRole('form', { name: 'Ergänzen: Fehlversand eines Exports' }).getByLabel('Neue Erkenntnis oder Maßnahme').fill('Empfänger hat gelöscht')
    await page.getByRole('form', { name: 'Ergänzen: Fehlversand eines Exports' }).getByRole('button', { name: 'Ergänzen' }).click()
    await page.locator('.card', { hasText: 'Fehlversand eines Exports' }).getByText(/Empfänger hat gelöscht/).waitFor()
    expect(await page.getByRole('form', { name: 'Als gemeldet vermerken: Laptop im Zug vergessen' }).count()).toBe(1)
    expect(await page.locator('.card', { hasText: 'Laptop im Zug vergessen' }).getByText('Empfänger hat gelöscht').count()).toBe(0)
    await page.screenshot({ path: screenshotPath('privacy-breaches'), fullPage: true })

    await page.goto(`${server.url}/#/settings/record`)
    await page.getByLabel('Handelsbriefe (Jahre, mind. 6)').fill('7')
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByRole('status').getByText('Gespeichert.').waitFor()
    const [recordPage] = await Promise.all([page.context().waitForEvent('page'), page.getByRole('link', { name: 'Verzeichnis öffnen' }).click()])
    await recordPage.getByRole('heading', { name: 'f) Vorgesehene Fristen für die Löschung' }).waitFor()
    expect(await recordPage.locator('#field-f').textContent()).toContain('7 Jahre ab Ende des Kalenderjahres')
    await recordPage.screenshot({ path: screenshotPath('privacy-record'), fullPage: true })
    await recordPage.close()

    await page.goto(`${server.url}/#/settings/audit`)
    await page.getByRole('cell', { name: 'Verarbeitungsverzeichnis abgerufen' }).first().waitFor()
    await page.getByRole('cell', { name: 'Datenpanne erfasst' }).first().waitFor()
    await page.screenshot({ path: screenshotPath('privacy-audit'), fullPage: true })
  })

  it('GDPR-16: a colleague rectifies a name in the contact panel; the list shows the new name at once', async () => {
    server.simulatorState().customerSends('4915400000009', 'Hans Maier', 'text', { body: 'Ich heiße Meier.' })
    await page.goto(`${server.url}/#/inbox`)
    await page.locator('.conversation', { hasText: 'Hans Maier' }).click()
    await page.locator('.chat-title').click()
    await page.getByRole('button', { name: 'Name berichtigen' }).click()
    await page.getByLabel('Richtiger Name').fill('Hans Meier')
    await page.getByLabel('Anlass').fill('Schreibfehler laut Kunde')
    await page.getByRole('form', { name: 'Name berichtigen' }).getByRole('button', { name: 'Berichtigen' }).click()
    await page.locator('.conversation', { hasText: 'Hans Meier' }).waitFor()
    await expect(page.getByRole('link', { name: 'Datenauskunft (ZIP)' }).getAttribute('href')).resolves.toMatch(/\/api\/contacts\/.+\/export$/)
  })

  it('GDPR-25: lists show numbers masked by default; an admin turns it off in the privacy settings', async () => {
    server.simulatorState().customerSends('4915400000077', 'Quirin Maske', 'text', { body: 'Meine Nummer bitte nicht zeigen.' })
    await eventually(() => contactByNumber(server, '4915400000077'))
    const numberInSearch = async () => {
      await page.goto(`${server.url}/#/inbox`)
      await page.getByRole('button', { name: 'Suchen' }).click()
      await page.getByPlaceholder('Nachrichten, Namen, Nummern …').fill('Quirin')
      const hit = page.getByRole('region', { name: 'Kontakte' }).locator('li', { hasText: 'Quirin Maske' })
      await hit.waitFor()
      const number = await hit.locator('.muted.small').textContent()
      await page.keyboard.press('Escape')
      return number
    }
    expect(await numberInSearch()).toBe('+4915 ••• 077')
    await page.screenshot({ path: screenshotPath('privacy-masked-number') })

    await page.goto(`${server.url}/#/settings/record`)
    await expect(page.getByLabel('Agenten sehen').inputValue()).resolves.toBe('assigned')
    await page.getByLabel('Telefonnummern in Listen maskieren').uncheck()
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByRole('status').getByText('Gespeichert.').waitFor()
    expect(await numberInSearch()).toBe('+4915400000077')
    await server.database.db.deleteFrom('settings').where('key', '=', 'privacy.team_access').execute()
  })

  it('GDPR-44: in strict EU mode (set with Local Storage in the EU) a shared location has no map link', async () => {
    server.simulatorState().customerSends('4915400000088', 'Eva Standort', 'location', { latitude: 52.520008, longitude: 13.404954, name: 'Alexanderplatz' })
    const mapLink = async () => {
      await page.goto(`${server.url}/#/inbox`)
      await page.locator('.conversation', { hasText: 'Eva Standort' }).click()
      await page.getByText('Alexanderplatz (52.52001, 13.40495)').waitFor()
      return page.getByRole('link', { name: 'Auf OpenStreetMap öffnen' }).count()
    }
    expect(await mapLink()).toBe(1)

    await page.goto(`${server.url}/#/settings/record`)
    await page.getByLabel('Speicherung bei Meta').selectOption('local-eu')
    await page.getByLabel('Strenger EU-Modus').check()
    await page.getByRole('button', { name: 'Speichern' }).click()
    await page.getByRole('status').getByText('Gespeichert.').waitFor()
    expect(await mapLink()).toBe(0)
    await page.screenshot({ path: screenshotPath('privacy-strict-eu-location') })
    await server.database.db.deleteFrom('settings').where('key', 'in', ['privacy.strict_eu', 'privacy.meta_storage']).execute()
  })

  it('GDPR-20: an admin takes over a data package from another Postfach on the requests page', async () => {
    // A package as another instance would send it: Hans Meier's export, as if of a person unknown here.
    const contact = (await contactByNumber(server, '4915400000009'))!
    const exported = await page.request.get(`${server.url}/api/contacts/${contact.id}/export`)
    expect(exported.status()).toBe(200)
    const files = unzipSync(await exported.body())
    const data = JSON.parse(Buffer.from(files['data.json']!).toString('utf8'))
    data.contact.waId = '4915400000099'
    for (const c of data.conversations) for (const m of c.messages) m.wamid = m.wamid && `${m.wamid}.moved`
    for (const s of data.statuses) s.wamid = `${s.wamid}.moved`
    const pkg = Buffer.from(zipSync({ ...files, 'data.json': Buffer.from(JSON.stringify(data)) }))

    await page.goto(`${server.url}/#/settings/requests`)
    const form = page.getByRole('form', { name: 'Datenpaket übernehmen (Übertragbarkeit)' })
    await form.getByLabel('Datenpaket (ZIP)').setInputFiles({ name: 'auskunft.zip', mimeType: 'application/x-zip-compressed', buffer: pkg })
    await form.getByRole('button', { name: 'Übernehmen' }).click()
    const messages = data.conversations.reduce((n: number, c: { messages: unknown[] }) => n + c.messages.length, 0)
    await form.getByRole('status').getByText(`Übernommen: ${messages} Nachrichten`).waitFor()
    await page.screenshot({ path: screenshotPath('privacy-import-package') })
    expect(await contactByNumber(server, '4915400000099')).toBeDefined()
    // The same package again: refused with the reason, nothing added.
    await form.getByLabel('Datenpaket (ZIP)').setInputFiles({ name: 'auskunft.zip', mimeType: 'application/zip', buffer: pkg })
    await form.getByRole('button', { name: 'Übernehmen' }).click()
    await form.getByRole('alert').waitFor()
  })

  it('GDPR-17: an erasure request linked by number is run from the dashboard and shows the letter to the person', async () => {
    server.simulatorState().customerSends('4915400000010', 'Lena Lösch', 'text', { body: 'Bitte löschen Sie meine Daten.' })
    await page.goto(`${server.url}/#/inbox`)
    await page.locator('.conversation', { hasText: 'Lena Lösch' }).waitFor()
    await page.goto(`${server.url}/#/settings/requests`)
    const form = page.getByRole('form', { name: 'Anfrage erfassen' })
    await form.getByLabel('Art').selectOption({ label: 'Löschung' })
    await form.getByLabel('WhatsApp-Nummer der Person (optional)').fill('+49 154 00000010')
    await form.getByLabel('Notiz').fill('Bat am Telefon zusätzlich um Bestätigung per Brief')
    await form.getByRole('button', { name: 'Erfassen' }).click()
    const row = page.locator('tr', { hasText: 'WhatsApp' }).filter({ hasText: 'Löschung' })
    // The register says whom a request is from, and what was noted (the note is sealed under the person's key).
    await row.getByText('Lena Lösch').waitFor()
    await row.getByText('+4915400000010').waitFor()
    await row.getByText('Bat am Telefon zusätzlich um Bestätigung per Brief').waitFor()
    await row.getByRole('button', { name: 'Identität bestätigen' }).click()
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: 'Löschung ausführen' }).click()
    await page.getByLabel('Auch erledigte zeigen').check()
    await page.locator('.outcome', { hasText: 'aufzubewahren bis 31.12.' }).waitFor()
    await page.screenshot({ path: screenshotPath('privacy-erasure'), fullPage: true })
    await page.goto(`${server.url}/#/inbox`)
    await page.locator('.conversation').first().waitFor()
    expect(await page.locator('.conversation', { hasText: 'Lena Lösch' }).count()).toBe(0)
  })

  it('GDPR-21: an admin adds a purpose and imports sign-ups with their provenance; the import reports what it skipped', async () => {
    await page.goto(`${server.url}/#/settings/consent`)
    const purpose = page.getByRole('form', { name: 'Zweck hinzufügen' })
    await purpose.getByLabel('Schlüssel (z. B. newsletter)').fill('newsletter')
    await purpose.getByLabel('Bezeichnung (Deutsch)').fill('Monatlicher Newsletter')
    await purpose.getByLabel('Bezeichnung (Englisch)').fill('Monthly newsletter')
    await purpose.getByRole('button', { name: 'Zweck hinzufügen' }).click()
    await page.getByRole('link', { name: '/optin/newsletter' }).waitFor()
    const form = page.getByRole('form', { name: 'Einwilligungen importieren' })
    await form.getByLabel('Zweck').selectOption({ label: 'Monatlicher Newsletter' })
    await form.getByLabel('Genauer Wortlaut, dem zugestimmt wurde').fill('Ja, ich möchte den Newsletter der Muster GmbH per WhatsApp erhalten.')
    await form.getByLabel('Herkunft (z. B. Papierformulare Messe Oktober 2026)').fill('Papierformulare vom Messestand')
    await form.getByLabel('Nummern (eine pro Zeile)').fill('0155 00000031\nkeine Nummer')
    await form.getByRole('button', { name: 'Importieren' }).click()
    await page.getByRole('status').getByText('1 übernommen, 1 übersprungen (davon 0 gesperrt).').waitFor()
    await page.screenshot({ path: screenshotPath('consent-settings'), fullPage: true })
    const contact = (await contactByNumber(server, '4915500000031'))!
    const events = await server.database.db.selectFrom('consent_events').select(['purpose', 'kind', 'channel']).where('contact_id', '=', contact.id).execute()
    expect(events).toEqual([{ purpose: 'newsletter', kind: 'requested', channel: 'import' }])
  })

  it('GDPR-18: a granted restriction is lifted only after the person was told (a task on the requests page)', async () => {
    const api = await server.login('admin')
    server.simulatorState().customerSends('4916600000001', 'Lea Lift', 'text', { body: 'Bitte meine Daten nicht nutzen.' })
    const contact = await eventually(async () => (await api.inject({ method: 'GET', url: '/api/contacts?waId=4916600000001' })).json().items[0] as { id: string } | undefined)
    const dsr = (await api.inject({ method: 'POST', url: '/api/privacy/requests', payload: { kind: 'restriction', channel: 'letter', contactId: contact.id } })).json()
    await api.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/verify-identity` })
    expect((await api.inject({ method: 'POST', url: `/api/privacy/requests/${dsr.id}/complete`, payload: { outcome: 'Eingeschränkt bis zur Klärung.' } })).statusCode).toBe(200)

    await page.goto(`${server.url}/#/settings/requests`)
    await page.getByLabel('Auch erledigte zeigen').check()
    const row = page.locator('tr', { hasText: 'Eingeschränkt bis zur Klärung.' })
    await row.getByRole('button', { name: 'Einschränkung aufheben' }).click()
    await row.getByLabel('Warum wird die Einschränkung aufgehoben?').fill('Die Angaben sind geklärt.')
    await row.getByRole('button', { name: 'Einschränkung aufheben' }).last().click()
    const tasks = page.getByRole('region', { name: 'Aufgaben' })
    await tasks.getByText('Lea Lift (+4916600000001) vor dem Aufheben der Einschränkung informieren').waitFor()
    expect((await server.database.db.selectFrom('contacts').select('restricted_at').where('id', '=', contact.id).executeTakeFirstOrThrow()).restricted_at).not.toBeNull()
    await tasks.getByRole('button', { name: 'Person informiert' }).click()
    await tasks.getByLabel('Wie und wann wurde die Person informiert?').fill('Am 30.11. per Brief informiert.')
    await page.screenshot({ path: screenshotPath('privacy-restriction-task'), fullPage: true })
    await tasks.getByRole('button', { name: 'Einschränkung jetzt aufheben' }).click()
    await tasks.waitFor({ state: 'detached' })
    expect((await server.database.db.selectFrom('contacts').select('restricted_at').where('id', '=', contact.id).executeTakeFirstOrThrow()).restricted_at).toBeNull()
  })
})
