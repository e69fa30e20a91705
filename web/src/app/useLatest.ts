import { useCallback, useRef } from 'react'

/**
 * For a view whose requests can overlap (typing a search, changing a period, moving on to the next
 * conversation): `latest(request, show)` passes on only the answer to the latest request. An
 * earlier one that comes back later is dropped — it would show what no longer matches the screen.
 * Its failure is dropped too; the latest request's failure goes to `failed` (or rejects).
 */
export function useLatest() {
  const latest = useRef(0)
  return useCallback(<T>(request: Promise<T>, show: (answer: T) => void, failed?: (err: unknown) => void): Promise<void> => {
    const ticket = ++latest.current
    return request.then(
      (answer) => {
        if (ticket === latest.current) show(answer)
      },
      (err: unknown) => {
        if (ticket !== latest.current) return
        if (!failed) throw err
        failed(err)
      },
    )
  }, [])
}
