import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react'
import { api, type Label, type Page, type QuickReply, type Settings, type TeamMember, type User } from './api'

/** What every screen needs about the team: who is signed in, colleagues, labels, replies, settings. */
export type Workspace = {
  user: User
  team: TeamMember[]
  labels: Label[]
  quickReplies: QuickReply[]
  settings: Settings
  /** Lists show phone numbers masked (privacy by default; an admin may turn it off). */
  maskNumbers: boolean
  /** Strict EU mode (GDPR-44): no links to services outside the EU. */
  strictEu: boolean
  /** Numbers served by the built-in simulator: their customers' phones can be opened at `/simulator`. */
  simulatedChannels: string[]
  reload: () => Promise<void>
}

const WorkspaceContext = createContext<Workspace | null>(null)

export function WorkspaceProvider({ user, children }: { user: User; children: ReactNode }) {
  const [team, setTeam] = useState<TeamMember[]>([])
  const [labels, setLabels] = useState<Label[]>([])
  const [quickReplies, setQuickReplies] = useState<QuickReply[]>([])
  const [settings, setSettings] = useState<Settings>({ crmUrlTemplate: null, company: null, privacyNotice: null, signWithName: false })
  const [maskNumbers, setMaskNumbers] = useState(true)
  const [strictEu, setStrictEu] = useState(false)
  const [simulatedChannels, setSimulatedChannels] = useState<string[]>([])
  const staff = user.role !== 'auditor'

  const reload = useCallback(async () => {
    if (!staff) return
    const [t, l, q, s, me, channels] = await Promise.all([
      api<Page<TeamMember>>('GET', '/api/team'),
      api<Page<Label>>('GET', '/api/labels'),
      api<Page<QuickReply>>('GET', '/api/quick-replies'),
      api<Settings>('GET', '/api/settings'),
      api<{ maskNumbersInLists: boolean; strictEu: boolean }>('GET', '/api/auth/me'),
      api<Page<{ id: string; simulated: boolean }>>('GET', '/api/channels'),
    ])
    setTeam(t.items)
    setLabels(l.items)
    setQuickReplies(q.items)
    setSettings(s)
    setMaskNumbers(me.maskNumbersInLists)
    setStrictEu(me.strictEu)
    setSimulatedChannels(channels.items.filter((c) => c.simulated).map((c) => c.id))
  }, [staff])

  useEffect(() => {
    void reload()
  }, [reload])

  const value = useMemo(
    () => ({ user, team, labels, quickReplies, settings, maskNumbers, strictEu, simulatedChannels, reload }),
    [user, team, labels, quickReplies, settings, maskNumbers, strictEu, simulatedChannels, reload],
  )
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>
}

export function useWorkspace(): Workspace {
  const w = useContext(WorkspaceContext)
  if (!w) throw new Error('useWorkspace outside WorkspaceProvider')
  return w
}

/** Initials for an avatar: "Anna Berg" → "AB". */
export function initials(name: string | null | undefined): string {
  const parts = (name ?? '?').trim().split(/\s+/).filter(Boolean)
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase()
}
