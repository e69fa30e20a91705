import { useEffect, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type Page } from '../../app/api'
import { useWorkspace } from '../../app/workspace'

type Presence = { id: string; availability: 'available' | 'away'; present: boolean }

/** The team's presence, shared by every open picker and asked again after half a minute at most. */
let cached: { at: number; load: Promise<Map<string, Presence>> } | undefined
function teamPresence(): Promise<Map<string, Presence>> {
  if (!cached || Date.now() - cached.at > 30_000) {
    const load = api<Page<Presence>>('GET', '/api/team/status').then((p) => new Map(p.items.map((m) => [m.id, m])))
    cached = { at: Date.now(), load }
    load.catch(() => (cached = undefined))
  }
  return cached.load
}

/**
 * Whom a conversation can be assigned to: me first, then my colleagues (admins and agents), each
 * marked when away or without the app open, so a conversation is not handed to someone not there.
 */
export function AssigneeOptions() {
  const { t } = useTranslation()
  const { user, team } = useWorkspace()
  const [presence, setPresence] = useState<Map<string, Presence>>(new Map())
  useEffect(() => {
    let live = true
    teamPresence().then((p) => live && setPresence(p), () => undefined)
    return () => {
      live = false
    }
  }, [])
  const note = (id: string) => {
    const p = presence.get(id)
    if (!p) return ''
    return p.availability === 'away' ? ` (${t('availability.away')})` : p.present ? '' : ` (${t('availability.notHere')})`
  }
  return (
    <>
      <option value={user.id}>{t('inbox.me', { name: user.name })}</option>
      {team
        .filter((m) => m.id !== user.id)
        .map((m) => (
          <option key={m.id} value={m.id}>
            {`${m.name}${note(m.id)}`}
          </option>
        ))}
    </>
  )
}
