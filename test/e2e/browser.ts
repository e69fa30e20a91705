import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { startTestServer, type TestServer } from '../helpers.js'

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots')

export function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package "chromium" (.ci/run does)`)
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  return path.join(SCREENSHOTS, `${name}.png`)
}

/** A new page of the context, signed in through the login form. */
export async function signedInPage(context: BrowserContext, url: string, email: string, password: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await page.getByLabel('E-Mail').fill(email)
  await page.getByLabel('Passwort').fill(password)
  await page.getByRole('button', { name: 'Anmelden' }).click()
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
  return page
}

/** A German desktop page of a new browser context, signed in as the first admin the test server created. */
export async function adminPage(browser: Browser, url: string, timezoneId?: string): Promise<Page> {
  const page = await (await browser.newContext({ locale: 'de-DE', viewport: { width: 1280, height: 800 }, ...(timezoneId ? { timezoneId } : {}) })).newPage()
  // Under the test timeout, so that a step that never happens is named in the failure.
  page.setDefaultTimeout(20_000)
  await page.goto(url)
  await page.getByLabel('E-Mail').fill('root@example.com')
  await page.getByLabel('Passwort').fill('root-password-123')
  await page.getByRole('button', { name: 'Anmelden' }).click()
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor()
  return page
}

/**
 * A test server and a signed-in admin page for the tests of one describe block; `prepare` runs
 * on the server before the browser opens (seed data the first screen should show).
 */
export function useAdminBrowser(o: Parameters<typeof startTestServer>[0] = {}, prepare?: (server: TestServer) => Promise<unknown>, timezoneId?: string) {
  const ctx = {} as { server: TestServer; browser: Browser; page: Page }
  beforeAll(async () => {
    ctx.server = await startTestServer(o)
    await prepare?.(ctx.server)
    ctx.browser = await launchBrowser()
    ctx.page = await adminPage(ctx.browser, ctx.server.url, timezoneId)
  }, 60_000)
  afterAll(async () => {
    await ctx.browser?.close()
    await ctx.server?.stop()
  })
  return ctx
}

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const IMPACTS = ['minor', 'moderate', 'serious', 'critical']

/** Accessibility violations on the current screen of at least this impact (axe-core; the page's context needs `bypassCSP`). */
export async function axeViolations(page: Page, least: 'moderate' | 'serious'): Promise<string[]> {
  await page.evaluate(AXE)
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }
  return result.violations.filter((v) => IMPACTS.indexOf(v.impact) >= IMPACTS.indexOf(least)).map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)
}

/** Serious and critical accessibility violations on the current screen. */
export const seriousViolations = (page: Page) => axeViolations(page, 'serious')

/** The next answer to a request `matches` picks (waited for from now on). */
export function answerTo(page: Page, matches: (url: URL) => boolean) {
  return page.waitForResponse((r) => matches(new URL(r.url())))
}

/**
 * Holds back the answers to the requests `matches` picks, for tests of a page whose earlier request
 * answers after a later one. `asked` resolves at the first such request (waited for from now on);
 * `release()` lets the answers through and resolves once the first has reached the page and the
 * page had time to show it.
 */
export async function holdBack(page: Page, matches: (url: URL) => boolean) {
  let open!: () => void
  const held = new Promise<void>((resolve) => (open = resolve))
  await page.route(matches, async (route) => {
    await held
    await route.continue()
  })
  const asked = page.waitForRequest((r) => matches(new URL(r.url())))
  asked.catch(() => undefined) // a test need not wait for it
  return {
    asked,
    async release() {
      const answered = answerTo(page, matches)
      open()
      await answered
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)))
      await page.unroute(matches)
    },
  }
}
