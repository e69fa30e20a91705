import type { ReactNode } from 'react'
import { useTranslation } from 'react-i18next'

/**
 * A data table's header row: every column header scoped to its column; with `actions`, a last
 * column for the row's buttons, named for screen readers only (an empty header cell is not named).
 */
/** The one row of a table with no rows yet, saying so across every column. */
export function EmptyRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={columns} className="muted">
        {children}
      </td>
    </tr>
  )
}

export function TableHead({ columns, actions = false }: { columns: ReactNode[]; actions?: boolean }) {
  const { t } = useTranslation()
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={i} scope="col">
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span className="visually-hidden">{t('app.actions')}</span>
          </th>
        )}
      </tr>
    </thead>
  )
}
