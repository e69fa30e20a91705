import { type FormEvent, useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, describeError, sendFile } from '../../app/api'
import { ErrorLine } from '../settings/useList'

type Profile = {
  about: string
  description: string
  address: string
  email: string
  websites: string[]
  vertical: string | null
  legalNotice: { url: string } | { text: string } | null
  profilePicture: boolean
  sync: { ok: boolean; error: string | null }
}

const VERTICALS = ['AUTO', 'BEAUTY', 'APPAREL', 'EDU', 'ENTERTAIN', 'EVENT_PLAN', 'FINANCE', 'GROCERY', 'GOVT', 'HOTEL', 'HEALTH', 'NONPROFIT', 'PROF_SERVICES', 'RETAIL', 'TRAVEL', 'RESTAURANT', 'OTHER']

/** What customers see of the company in WhatsApp, and the legal notice (Impressum) Postfach answers with. */
export function BusinessProfileSettings() {
  const { t } = useTranslation()
  const [profile, setProfile] = useState<Profile | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)

  useEffect(() => {
    void api<Profile>('GET', '/api/business-profile').then(setProfile, (err) => setError(describeError(err)))
  }, [])
  if (!profile) return <ErrorLine error={error} />

  async function save(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    setSaved(false)
    const f = new FormData(e.currentTarget)
    const get = (k: string) => String(f.get(k) ?? '').trim()
    const notice = get('legalNotice')
    if (!notice) return setError(t('profile.legalNoticeRequired'))
    try {
      const next = await api<Profile>('PUT', '/api/business-profile', {
        about: get('about'),
        description: get('description'),
        address: get('address'),
        email: get('email'),
        websites: [get('website1'), get('website2')].filter(Boolean),
        vertical: get('vertical') || null,
        legalNotice: /^https?:\/\/\S+$/i.test(notice) ? { url: notice } : { text: notice },
      })
      setProfile(next)
      setError(null)
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }

  async function uploadPicture(file: File | undefined) {
    if (!file) return
    setSaved(false)
    try {
      await sendFile('PUT', '/api/business-profile/picture', file)
      setProfile({ ...profile!, profilePicture: true })
      setError(null)
    } catch (err) {
      setError(describeError(err))
    }
  }

  const notice = profile.legalNotice ? ('url' in profile.legalNotice ? profile.legalNotice.url : profile.legalNotice.text) : ''
  return (
    <section aria-labelledby="profile-title">
      <h2 id="profile-title">{t('settings.profile.title')}</h2>
      {!profile.sync.ok && <p className="warning" role="status">{t('profile.syncFailed', { detail: profile.sync.error })}</p>}
      <div className="card-form">
        <label>
          {t('profile.picture')}
          <input type="file" accept="image/jpeg,image/png" onChange={(e) => void uploadPicture(e.target.files?.[0])} />
        </label>
        <p className="muted small">{profile.profilePicture ? t('profile.pictureSet') : t('profile.pictureNone')}</p>
      </div>
      <form className="card-form" onSubmit={save}>
        <label>
          {t('profile.about')}
          <input name="about" required maxLength={139} defaultValue={profile.about} />
        </label>
        <label>
          {t('profile.description')}
          <textarea name="description" rows={3} maxLength={512} defaultValue={profile.description} />
        </label>
        <label>
          {t('profile.address')}
          <input name="address" maxLength={256} defaultValue={profile.address} />
        </label>
        <label>
          {t('login.email')}
          <input name="email" type="email" maxLength={128} defaultValue={profile.email} />
        </label>
        {[0, 1].map((i) => (
          <label key={i}>
            {t('profile.website', { n: i + 1 })}
            <input name={`website${i + 1}`} type="url" maxLength={256} defaultValue={profile.websites[i] ?? ''} placeholder="https://" />
          </label>
        ))}
        <label>
          {t('profile.vertical')}
          <select aria-label={t('profile.vertical')} name="vertical" defaultValue={profile.vertical ?? ''}>
            <option value="">—</option>
            {VERTICALS.map((v) => (
              <option key={v} value={v}>
                {t(`profile.verticals.${v}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('profile.legalNotice')}
          <textarea name="legalNotice" rows={4} maxLength={2000} defaultValue={notice} aria-describedby="legal-notice-hint" />
        </label>
        <p id="legal-notice-hint" className="muted small">{t('profile.legalNoticeHint')}</p>
        <button type="submit">{t('profile.save')}</button>
        {saved && <p role="status" className="ok">{t('profile.saved')}</p>}
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
