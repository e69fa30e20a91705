import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'

const FIRST_CHECK_MS = 1500
const EVERY_MS = 5 * 60_000

/**
 * For admins and auditors, on every screen: a warning when the archive's continuous verifier has
 * found a change. Asked for after the first screen is up, so the inbox's first load does not wait.
 */
export function IntegrityBanner() {
  const { t } = useTranslation()
  const [broken, setBroken] = useState(false)
  useEffect(() => {
    const check = () => void api<{ integrity: { ok: boolean } }>('GET', '/api/archive/status').then((s) => setBroken(!s.integrity.ok), () => undefined)
    const first = setTimeout(check, FIRST_CHECK_MS)
    const every = setInterval(check, EVERY_MS)
    return () => {
      clearTimeout(first)
      clearInterval(every)
    }
  }, [])
  if (!broken) return null
  return (
    <p role="alert" className="banner-danger">
      {t('archive.integrity.banner')} <a href="#/settings/archive">{t('archive.integrity.bannerLink')}</a>
    </p>
  )
}
