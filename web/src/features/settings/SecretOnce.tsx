import { type FormEvent, useState } from 'react'

/**
 * A create form whose answer carries a secret that is shown only now (API tokens, integration
 * signing secrets): submitting runs `call` through the list's `act`, keeps the secret, clears the form.
 */
export function useCreateShowingSecret<R>(act: <T>(call: () => Promise<T>) => Promise<T | undefined>, call: (form: FormData) => Promise<R>, secretOf: (r: R) => string) {
  const [fresh, setFresh] = useState<string | null>(null)
  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const form = e.currentTarget
    const created = await act(() => call(new FormData(form)))
    if (created) {
      setFresh(secretOf(created))
      form.reset()
    }
  }
  return { fresh, create }
}

/** The secret with the words that say it is shown once. */
export function SecretNotice({ secret, text }: { secret: string | null; text: string }) {
  if (!secret) return null
  return (
    <div className="notice" role="status">
      <p>{text}</p>
      <code className="secret">{secret}</code>
    </div>
  )
}
