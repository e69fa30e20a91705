import { useEffect, useState } from 'react'
import { api, type Page, type Template } from '../../app/api'

let loading: Promise<Template[]> | undefined

/** The business's templates, loaded once per page: a chat shows a sent template's text from them. */
export function useTemplates(): Template[] {
  const [templates, setTemplates] = useState<Template[]>([])
  useEffect(() => {
    loading ??= api<Page<Template>>('GET', '/api/templates').then(
      (p) => p.items,
      () => {
        loading = undefined // try again with the next chat; until then bubbles name the template
        return []
      },
    )
    let live = true
    void loading.then((items) => live && setTemplates(items))
    return () => {
      live = false
    }
  }, [])
  return templates
}
