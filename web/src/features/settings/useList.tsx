import { useCallback, useEffect, useState } from 'react'
import { api, describeError, type Page } from '../../app/api'

/** A settings list: its items (`loaded` once read), a reload, and `act` that runs a change, shows its error, reloads. */
export function useList<T>(path: string) {
  const [items, setItems] = useState<T[]>([])
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const reload = useCallback(async () => {
    setItems((await api<Page<T>>('GET', path)).items)
    setLoaded(true)
  }, [path])
  useEffect(() => {
    void reload().catch((e: Error) => setError(e.message))
  }, [reload])
  async function act<R>(call: () => Promise<R>): Promise<R | undefined> {
    setError(null)
    try {
      const r = await call()
      await reload()
      return r
    } catch (e) {
      setError(describeError(e))
      return undefined
    }
  }
  return { items, loaded, error, act, reload }
}

export function ErrorLine({ error }: { error: string | null }) {
  return error ? (
    <p role="alert" className="error">
      {error}
    </p>
  ) : null
}

/** What a save came to: the confirmation (a status) or the error (an alert). */
export function SaveOutcome({ saved, error }: { saved: string | null; error: string | null }) {
  return (
    <>
      {saved && (
        <p role="status" className="ok">
          {saved}
        </p>
      )}
      <ErrorLine error={error} />
    </>
  )
}
