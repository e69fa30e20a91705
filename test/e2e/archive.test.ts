import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { customerWrites, DIALECT, type TestServer, withoutTriggers } from '../helpers.js'
import { answerTo, holdBack, screenshotPath, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: the archive page in the browser`, () => {
  const ctx = useAdminBrowser({}, async (s) => {
    await customerWrites(s, '4915133000001', 'Ich bestelle zehn Lampen.', 'Lara Licht')
    await customerWrites(s, '4915133000002', 'Bitte Rechnung schicken.', 'Max Muster')
    await s.archive.sync({ forceCheckpoint: true })
  })
  let server: TestServer
  let page: Page
  beforeAll(() => {
    ;({ server, page } = ctx)
  })

  it('shows the verified log, sets the audit period, searches the archive and places a legal hold', async () => {
    page.setDefaultTimeout(8000)
    await page.goto(`${server.url}/#/settings/archive`)
    await page.getByRole('heading', { name: 'Archiv', exact: true }).waitFor()
    await page.getByText(/Unverändert: alle Prüfpunkte bis \d+ Einträge/).waitFor()

    const scope = page.getByRole('form', { name: 'Prüfungszeitraum' })
    await scope.getByLabel('Von').fill('2026-01-01')
    await scope.getByLabel('Bis').fill('2030-12-31')
    await scope.getByRole('button', { name: 'Speichern' }).click()
    await scope.getByText('Gespeichert.').waitFor()

    const search = page.getByRole('form', { name: 'Archiv durchsuchen (Z1) und Daten überlassen (Z3)' })
    await search.getByLabel('Text').fill('Lampen')
    await search.getByRole('button', { name: 'Suchen' }).click()
    await page.getByText('1 Nachricht', { exact: true }).waitFor()
    const found = page.getByRole('row', { name: /Ich bestelle zehn Lampen\./ })
    await found.waitFor()
    expect(await found.getByRole('cell').nth(3).textContent()).toMatch(/^31\.12\.\d{4}$/) // kept until the end of a year
    expect(await page.getByRole('link', { name: 'Als Z3-Paket herunterladen (ZIP)' }).getAttribute('href')).toMatch(/^\/api\/archive\/export\?from=\d{4}-01-01&to=\d{4}-12-31&classes=handelsbrief%2Cbuchungsbeleg%2Cbuch$/)

    // Searched again before the first answer came: the answer to the last search stays.
    const slow = await holdBack(page, (url) => url.pathname === '/api/archive/search' && url.searchParams.get('q') === 'Kartoffelsalat')
    await search.getByLabel('Text').fill('Kartoffelsalat')
    await search.getByRole('button', { name: 'Suchen' }).click()
    await slow.asked
    const again = answerTo(page, (url) => url.pathname === '/api/archive/search' && url.searchParams.get('q') === 'Lampen')
    await search.getByLabel('Text').fill('Lampen')
    await search.getByRole('button', { name: 'Suchen' }).click()
    await again
    await slow.release()
    expect(await found.count()).toBe(1)

    const holds = page.getByRole('form', { name: 'Neue Sperre' })
    await holds.getByLabel('Von').fill('2026-01-01')
    await holds.getByLabel('Bis').fill('2026-12-31')
    await holds.getByLabel('Grund').fill('Betriebsprüfung 2026')
    await holds.getByRole('button', { name: 'Sperre setzen' }).click()
    await page.getByRole('cell', { name: 'Betriebsprüfung 2026' }).waitFor()
    await page.getByRole('cell', { name: 'Zeitraum 01.01.2026 – 31.12.2026' }).waitFor()
    await page.screenshot({ path: screenshotPath('archive'), fullPage: true })
    expect(await server.database.db.selectFrom('legal_holds').select(['scope', 'reason']).execute()).toEqual([{ scope: 'period', reason: 'Betriebsprüfung 2026' }])
    expect((await server.database.db.selectFrom('settings').select('value').where('key', '=', 'archive.audit_scope').executeTakeFirstOrThrow()).value).toContain('2030-12-31')
  })

  it('warns admins on every screen once the continuous check finds the archive altered', async () => {
    page.setDefaultTimeout(8000)
    const entry = await server.database.db.selectFrom('journal').select(['seq', 'content']).where('kind', '=', 'whatsapp.webhook').orderBy('seq').limit(1).executeTakeFirstOrThrow()
    const changed = Buffer.from(entry.content!)
    changed[changed.length - 1]! ^= 1
    await withoutTriggers(server, 'journal', () => server.database.db.updateTable('journal').set({ content: changed }).where('seq', '=', entry.seq).execute())
    expect((await server.archiveWatch.check()).ok).toBe(false)
    await page.goto(`${server.url}/#/inbox`)
    await page.reload() // a fresh app asks for the archive's state once its first screen is up
    const banner = page.getByRole('alert').filter({ hasText: 'Das Archiv wurde verändert' })
    await banner.waitFor()
    await banner.getByRole('link', { name: 'Zur Prüfung' }).click()
    await page.getByText('Die Prüfung hat Abweichungen gefunden. Ein Sicherheitsvorfall wurde angelegt.').waitFor()
    // Checked twice now (on the first check and on opening the page), listed once.
    expect(await page.getByText(/^Eintrag \d+: Der gespeicherte Eintrag \(whatsapp\.webhook\) weicht vom protokollierten ab/).count()).toBe(1)
    await page.screenshot({ path: screenshotPath('archive-alert'), fullPage: true })
  })
})

describe(`${DIALECT}: the archive page before the first checkpoint`, () => {
  const ctx = useAdminBrowser({ env: { ARCHIVE_CHECKPOINT_SECONDS: '3600' } }, (s) => customerWrites(s, '4915133000003', 'Erste Nachricht', 'Frieda Früh'))

  it('says the first signed checkpoint is still to come, then names it', async () => {
    const { server, page } = ctx
    await page.goto(`${server.url}/#/settings/archive`)
    await page.getByText('Unverändert. Der erste signierte Prüfpunkt wird in Kürze geschrieben.').waitFor()
    await server.archive.sync({ forceCheckpoint: true })
    await page.getByRole('button', { name: 'Jetzt prüfen' }).click()
    await page.getByText(/Unverändert: alle Prüfpunkte bis [1-9]\d* Einträge/).waitFor()
  })
})
