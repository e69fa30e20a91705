import { useEffect, useState } from 'react'
import { api, describeError } from '../../app/api'

/** One workspace setting behind a small form: loaded once, saved with PUT, with the outcome to show. */
export function useSetting<T>(url: string) {
  const [value, setValue] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [saved, setSaved] = useState(false)
  useEffect(() => {
    api<T>('GET', url).then(setValue, (err) => setError(describeError(err)))
  }, [url])
  async function save(body: T) {
    setSaved(false)
    setError(null)
    try {
      setValue(await api<T>('PUT', url, body))
      setSaved(true)
    } catch (err) {
      setError(describeError(err))
    }
  }
  return { value, error, saved, save }
}
