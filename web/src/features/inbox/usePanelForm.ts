import { type FormEvent, useState } from 'react'
import { describeError } from '../../app/api'

/**
 * A small form of the contact panel that opens on demand: it sends its fields, closes on success
 * and shows the server's reason otherwise.
 */
export function usePanelForm(send: (fields: FormData) => Promise<unknown>, onDone?: () => void | Promise<void>) {
  const [open, setOpen] = useState(false)
  const [error, setError] = useState<string | null>(null)
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    try {
      await send(new FormData(e.currentTarget))
      setOpen(false)
      setError(null)
      await onDone?.()
    } catch (err) {
      setError(describeError(err))
    }
  }
  return { open, setOpen, error, submit }
}
