import { describe, it } from 'vitest'
import { useAdminBrowser } from './browser.js'
describe('shot', () => {
  const ctx = useAdminBrowser({})
  it('shots', async () => {
    const { page, server } = ctx
    for (const [hash, name] of [['#/settings/automation', 'auto'], ['#/settings/archive', 'archive'], ['#/settings/consent', 'consent'], ['#/settings/privacy', 'privacy'], ['#/settings/general', 'general'], ['#/settings/profile', 'profile'], ['#/settings/channel', 'channel'], ['#/settings/templates', 'templates']]) {
      await page.goto(`${server.url}/${hash}`)
      await page.waitForTimeout(800)
      await page.screenshot({ path: `/work/main/.scratch/${name}.png` })
    }
  })
})
