import { Secret, TOTP } from 'otpauth'
import { describe, expect, it } from 'vitest'
import { DIALECT } from '../helpers.js'
import { screenshotPath, seriousViolations, useAdminBrowser } from './browser.js'

describe(`${DIALECT}: my account in the browser`, () => {
  const ctx = useAdminBrowser()

  it('changes my own password from the account page; the old one no longer signs in, the new one does', async () => {
    const { page, server } = ctx
    await page.getByRole('link', { name: 'Administrator' }).click()
    const form = page.getByRole('form', { name: 'Passwort ändern' })
    await page.getByRole('heading', { name: 'Mein Konto' }).waitFor()
    expect(await page.locator('.facts').innerText()).toContain('root@example.com')

    await form.getByLabel('Aktuelles Passwort').fill('root-password-123')
    await form.getByLabel('Neues Passwort', { exact: true }).fill('ein-langer-neuer-satz')
    await form.getByLabel('Neues Passwort wiederholen').fill('ein-langer-neuer-satz!')
    await form.getByRole('button', { name: 'Passwort ändern' }).click()
    await form.getByText('Die beiden neuen Passwörter stimmen nicht überein.').waitFor()

    await form.getByLabel('Aktuelles Passwort').fill('falsch-geraten-123')
    await form.getByLabel('Neues Passwort wiederholen').fill('ein-langer-neuer-satz')
    await form.getByRole('button', { name: 'Passwort ändern' }).click()
    await form.getByText('Das aktuelle Passwort ist falsch.').waitFor()
    expect(await seriousViolations(page)).toEqual([])

    await form.getByLabel('Aktuelles Passwort').fill('root-password-123')
    await form.getByRole('button', { name: 'Passwort ändern' }).click()
    await page.getByText('Das Passwort ist geändert. Andere Browser sind abgemeldet.').waitFor()
    await page.screenshot({ path: screenshotPath('settings-account') })
    expect(await form.getByLabel('Aktuelles Passwort').inputValue()).toBe('') // the form is emptied

    const login = (password: string) => server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@example.com', password }, remoteAddress: '10.9.0.1' })
    expect((await login('root-password-123')).statusCode).toBe(401)
    expect((await login('ein-langer-neuer-satz')).statusCode).toBe(200)
    // This browser stays signed in.
    await page.getByRole('link', { name: 'Einstellungen' }).click()
    await page.getByRole('heading', { name: 'Benutzer', exact: true }).first().waitFor()
  })

  it('lets an admin set a new password for someone who forgot theirs; their sessions end', async () => {
    const { page, server } = ctx
    const agent = await server.login('agent', 'vergesslich@example.com')
    expect((await agent.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(200)
    await page.reload()
    const form = page.getByRole('form', { name: 'Passwort zurücksetzen' })
    await form.getByLabel('Für').selectOption({ label: `${(await agent.inject({ method: 'GET', url: '/api/auth/me' })).json().user.name} (vergesslich@example.com)` })
    await form.getByLabel('Erstes Passwort (mind. 12 Zeichen)').fill('neu-vergeben-2026')
    await form.getByRole('button', { name: 'Passwort setzen' }).click()
    await form.getByText(/Neues Passwort für .* gesetzt; alle Anmeldungen sind beendet\./).waitFor()
    expect((await agent.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401)
    const login = (password: string) => server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'vergesslich@example.com', password }, remoteAddress: '10.9.0.2' })
    expect((await login('correct-horse-battery')).statusCode).toBe(401)
    expect((await login('neu-vergeben-2026')).statusCode).toBe(200)
    expect(await seriousViolations(page)).toEqual([])
  })

  it('lists the browsers I am signed in with and signs out another one', async () => {
    const { page, server } = ctx
    const other = await server.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' },
      payload: { email: 'root@example.com', password: 'ein-langer-neuer-satz' },
      remoteAddress: '10.9.0.3',
    })
    const cookie = `postfach_session=${other.cookies.find((c) => c.name === 'postfach_session')!.value}`
    await page.goto(`${server.url}/#/settings/account`)
    await page.reload()
    await page.getByRole('cell', { name: 'Firefox unter Linux', exact: true }).waitFor()
    expect(await page.getByRole('cell', { name: 'Dieser Browser' }).count()).toBe(1)
    await page.screenshot({ path: screenshotPath('settings-account-sessions') })
    await page.getByRole('button', { name: 'Firefox unter Linux abmelden' }).click()
    await expect.poll(() => page.getByRole('cell', { name: 'Firefox unter Linux', exact: true }).count()).toBe(0)
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401)

    // Two more elsewhere (besides the logins of the tests above), signed out with one click.
    const elsewhere = []
    for (const ip of ['10.9.0.4', '10.9.0.5']) {
      const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@example.com', password: 'ein-langer-neuer-satz' }, remoteAddress: ip })
      elsewhere.push(`postfach_session=${res.cookies.find((c) => c.name === 'postfach_session')!.value}`)
    }
    await page.reload()
    await page.getByRole('button', { name: 'Alle anderen Browser abmelden' }).click()
    await expect.poll(() => page.getByRole('row').count()).toBe(2) // the header and this browser
    expect(await page.getByRole('button', { name: 'Alle anderen Browser abmelden' }).count()).toBe(0) // none left to sign out
    for (const other of elsewhere) expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: other } })).statusCode).toBe(401)
    expect(await seriousViolations(page)).toEqual([])
  })

  it('sets up two-factor login with the QR code and a code from the app; the next login asks for a code', async () => {
    const { page, server } = ctx
    await page.goto(`${server.url}/#/settings/account`)
    await page.reload()
    const begin = page.getByRole('form', { name: 'Zwei-Faktor-Anmeldung einrichten' })
    await begin.getByLabel('Aktuelles Passwort').fill('ein-langer-neuer-satz')
    await begin.getByRole('button', { name: 'Zwei-Faktor-Anmeldung einrichten' }).click()
    const confirm = page.getByRole('form', { name: 'Bestätigen und einschalten' })
    await confirm.getByRole('img', { name: 'QR-Code für die Authenticator-App' }).waitFor()
    // What the app would read from the QR code: the key shown for typing by hand.
    const secret = (await page.getByTestId('totp-secret').innerText()).replace(/\s/g, '')
    const codeAt = (steps: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + steps * 30_000 })
    expect(await seriousViolations(page)).toEqual([])
    await confirm.scrollIntoViewIfNeeded()
    await page.screenshot({ path: screenshotPath('settings-two-factor-setup') })

    await confirm.getByLabel('Code aus der App').fill(String((Number(codeAt(0)) + 1) % 1_000_000).padStart(6, '0'))
    await confirm.getByRole('button', { name: 'Bestätigen und einschalten' }).click()
    await page.getByRole('alert').filter({ hasText: 'Der Code stimmt nicht.' }).waitFor()
    await confirm.getByLabel('Code aus der App').fill(codeAt(0))
    await confirm.getByRole('button', { name: 'Bestätigen und einschalten' }).click()
    const codes = page.getByRole('region', { name: 'Wiederherstellungscodes' })
    await codes.waitFor()
    expect(await codes.locator('li').count()).toBe(10)
    await page.getByText(/Eingeschaltet seit .*Noch 10 Wiederherstellungscodes übrig\./).waitFor()
    await page.screenshot({ path: screenshotPath('settings-two-factor-codes') })
    await codes.getByRole('button', { name: 'Ich habe die Codes gesichert' }).click()
    await codes.waitFor({ state: 'detached' })

    await page.getByRole('button', { name: 'Abmelden' }).click()
    await page.getByLabel('E-Mail').fill('root@example.com')
    await page.getByLabel('Passwort').fill('ein-langer-neuer-satz')
    await page.getByRole('button', { name: 'Anmelden' }).click()
    const code = page.getByLabel('Code aus der Authenticator-App')
    await code.fill('000000')
    await page.getByRole('button', { name: 'Anmelden' }).click()
    await page.getByText('Der Code ist falsch, abgelaufen oder wurde schon benutzt.').waitFor()
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: screenshotPath('login-two-factor') })
    await code.fill(codeAt(1))
    await page.getByRole('button', { name: 'Anmelden' }).click()
    await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
    const me = (await server.database.db.selectFrom('users').select(['totp_secret', 'totp_enabled_at']).where('email', '=', 'root@example.com').executeTakeFirstOrThrow())
    expect(me.totp_enabled_at).not.toBeNull()
    expect(me.totp_secret).not.toContain(secret)

    // With two recovery codes left, the page asks for new ones.
    const rootId = (await server.database.db.selectFrom('users').select('id').where('email', '=', 'root@example.com').executeTakeFirstOrThrow()).id
    const unused = await server.database.db.selectFrom('recovery_codes').select('id').where('user_id', '=', rootId).where('used_at', 'is', null).execute()
    await server.database.db.updateTable('recovery_codes').set({ used_at: new Date().toISOString() }).where('id', 'in', unused.slice(2).map((c) => c.id)).execute()
    await page.goto(`${server.url}/#/settings/account`)
    await page.reload()
    await page.getByText(/Noch 2 Wiederherstellungscodes übrig\. Erzeugen Sie neue Wiederherstellungscodes, bevor keine mehr übrig sind\./).waitFor()
  })

  it('shows who has two-factor login and lets an admin reset it for someone who lost the phone', async () => {
    const { page, server } = ctx
    const agent = await server.login('agent', 'telefon-weg@example.com')
    const { secret } = (await agent.inject({ method: 'POST', url: '/api/auth/two-factor/setup', payload: { currentPassword: 'correct-horse-battery' } })).json()
    expect((await agent.inject({ method: 'POST', url: '/api/auth/two-factor/enable', payload: { code: new TOTP({ secret: Secret.fromBase32(secret) }).generate() } })).statusCode).toBe(200)
    const { name } = (await agent.inject({ method: 'GET', url: '/api/auth/me' })).json().user
    await page.goto(`${server.url}/#/settings/users`)
    await page.reload()
    const row = page.getByRole('row').filter({ hasText: 'telefon-weg@example.com' })
    await row.getByText('an', { exact: true }).waitFor()
    await page.screenshot({ path: screenshotPath('settings-users-two-factor') })
    page.once('dialog', (d) => void d.accept())
    await row.getByRole('button', { name: `Zwei-Faktor-Anmeldung von ${name} zurücksetzen` }).click()
    await row.getByText('aus', { exact: true }).waitFor()
    expect(await row.getByRole('button', { name: /Zwei-Faktor/ }).count()).toBe(0)
    expect((await agent.inject({ method: 'GET', url: '/api/auth/me' })).statusCode).toBe(401)
    expect((await server.database.db.selectFrom('users').select('totp_secret').where('email', '=', 'telefon-weg@example.com').executeTakeFirstOrThrow()).totp_secret).toBeNull()
    expect(await seriousViolations(page)).toEqual([])
  })

  it('requires two-factor login for everyone: a colleague without it sets it up right after login, then works', async () => {
    const { page, server, browser } = ctx
    // Root turned on their own in the test above; the rule is set on the users page.
    await page.goto(`${server.url}/#/settings/users`)
    await page.reload()
    const rule = page.getByRole('form', { name: 'Zwei-Faktor-Anmeldung verlangen' })
    await rule.getByLabel('Verlangen für').selectOption({ label: 'Alle Benutzer' })
    await rule.getByRole('button', { name: 'Speichern' }).click()
    await rule.getByText('Gespeichert.').waitFor()
    const admin = await server.token('admin')
    expect((await admin.inject({ method: 'GET', url: '/api/settings/security' })).json()).toEqual({ requireTwoFactor: 'everyone' })
    // A colleague admin without it is held at the setup too.
    expect((await (await server.login('admin')).inject({ method: 'GET', url: '/api/users' })).statusCode).toBe(403)

    await server.login('agent', 'neu-im-team@example.com') // password correct-horse-battery
    const colleague = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 } })).newPage()
    colleague.setDefaultTimeout(20_000)
    await colleague.goto(server.url)
    await colleague.getByLabel('E-Mail').fill('neu-im-team@example.com')
    await colleague.getByLabel('Passwort').fill('correct-horse-battery')
    await colleague.getByRole('button', { name: 'Anmelden' }).click()
    await colleague.getByText(/Ihr Unternehmen verlangt für Ihr Konto die Zwei-Faktor-Anmeldung/).waitFor()
    expect(await colleague.getByRole('navigation', { name: 'Hauptnavigation' }).count()).toBe(0)
    expect(await seriousViolations(colleague)).toEqual([])
    await colleague.getByLabel('Aktuelles Passwort').fill('correct-horse-battery')
    await colleague.getByRole('button', { name: 'Zwei-Faktor-Anmeldung einrichten' }).click()
    const secret = (await colleague.getByTestId('totp-secret').innerText()).replace(/\s/g, '')
    await colleague.screenshot({ path: screenshotPath('login-two-factor-required') })
    await colleague.getByLabel('Code aus der App').fill(new TOTP({ secret: Secret.fromBase32(secret) }).generate())
    await colleague.getByRole('button', { name: 'Bestätigen und einschalten' }).click()
    await colleague.getByRole('region', { name: 'Wiederherstellungscodes' }).waitFor()
    await colleague.getByRole('button', { name: 'Ich habe die Codes gesichert' }).click()
    await colleague.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
    await colleague.getByText('Noch keine Unterhaltungen').waitFor() // the inbox loaded: the server lets them in now
    await colleague.context().close()
    expect((await admin.inject({ method: 'PUT', url: '/api/settings/security', payload: { requireTwoFactor: 'nobody' } })).statusCode).toBe(200)
  })
})
