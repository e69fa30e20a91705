import { useEffect, useState } from 'react'

/** The part after `#/`, e.g. `settings/users`; the app's few screens need no router library. */
export function useHashRoute(): [string, (route: string) => void] {
  const read = () => window.location.hash.replace(/^#\/?/, '')
  const [route, setRoute] = useState(read)
  useEffect(() => {
    const onChange = () => setRoute(read())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  return [route, (r: string) => (window.location.hash = `#/${r}`)]
}
