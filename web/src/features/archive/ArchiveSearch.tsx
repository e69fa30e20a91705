import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { formatDate } from '../inbox/format'
import { api, describeError } from '../../app/api'
import { useLatest } from '../../app/useLatest'
import { ErrorLine } from '../settings/useList'
import { useWhen } from './useWhen'
import { Table, TableHead } from '../../ui/TableHead'

type Item = { id: string; contactId: string; direction: string; type: string; timestamp: string; class: string; retainUntil: string | null; text: string | null }
type Result = { items: Item[]; nextCursor: string | null; resultSha256: string }

const TAX = ['handelsbrief', 'buchungsbeleg', 'buch'] as const

/** The auditor's view (Z1): archived tax records by period, class and text, and the Z3 handover of the same selection. */
export function ArchiveSearch() {
  const { t } = useTranslation()
  const when = useWhen()
  const [query, setQuery] = useState<string | null>(null)
  const [result, setResult] = useState<Result | null>(null)
  const [error, setError] = useState<string | null>(null)
  const latest = useLatest() // a search sent again before the first answered: the first answer must not replace the second
  async function search(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const classes = TAX.filter((c) => f.get(c) === 'on')
    const params = new URLSearchParams({ from: String(f.get('from')), to: String(f.get('to')), classes: classes.join(',') })
    const q = String(f.get('q') ?? '').trim()
    if (q) params.set('q', q)
    setError(null)
    await latest(
      api<Result>('GET', `/api/archive/search?${params.toString()}&limit=200`),
      (answer) => {
        setResult(answer)
        params.delete('q')
        setQuery(params.toString())
      },
      (err) => {
        setResult(null)
        setError(describeError(err))
      },
    )
  }
  const year = new Date().getFullYear()
  return (
    <section className="card" aria-labelledby="archive-search">
      <h3 id="archive-search">{t('archive.search.title')}</h3>
      <form className="card-form inline" onSubmit={search} aria-label={t('archive.search.title')}>
        <label>
          {t('archive.from')}
          <input type="date" name="from" required defaultValue={`${year}-01-01`} />
        </label>
        <label>
          {t('archive.to')}
          <input type="date" name="to" required defaultValue={`${year}-12-31`} />
        </label>
        <label>
          {t('archive.search.text')}
          <input name="q" maxLength={200} />
        </label>
        <fieldset className="inline-check">
          <legend>{t('archive.search.classes')}</legend>
          {TAX.map((c) => (
            <label key={c}>
              <input type="checkbox" name={c} defaultChecked /> {t(`archive.class.${c}`)}
            </label>
          ))}
        </fieldset>
        <button type="submit">{t('archive.search.button')}</button>
      </form>
      <ErrorLine error={error} />
      {result && (
        <>
          <p className="small">
            <span role="status">{t('archive.search.count', { count: result.items.length })}</span>{' '}
            {query && (
              <a href={`/api/archive/export?${query}`} download>
                {t('archive.search.export')}
              </a>
            )}
          </p>
          {result.items.length > 0 && (
            <Table className="data-table">
              <TableHead columns={[t('archive.search.time'), t('archive.search.direction'), t('archive.search.class'), t('archive.search.retainUntil'), t('archive.search.message')]} />
              <tbody>
                {result.items.map((m) => (
                  <tr key={m.id}>
                    <td>{when(m.timestamp)}</td>
                    <td>{t(`archive.search.${m.direction}`)}</td>
                    <td>{t(`archive.class.${m.class}`)}</td>
                    <td>{m.retainUntil ? formatDate(m.retainUntil) : '–'}</td>
                    <td>{m.text ?? `[${m.type}]`}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </>
      )}
    </section>
  )
}
