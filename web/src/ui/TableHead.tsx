import { type ComponentProps, type ReactNode, useLayoutEffect, useRef, useState } from 'react'
import { useTranslation } from 'react-i18next'

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

/**
 * A data table's header row: every column header scoped to its column; with `actions`, a last
 * column for the row's buttons, named for screen readers only (an empty header cell is not named).
 */
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

/**
 * A data table. Where the window is narrow it scrolls sideways on its own (app.css); while it
 * does, it takes focus, so that a keyboard can scroll it too (a scroller out of the Tab order
 * cannot be read without a mouse or a finger).
 */
export function Table(props: ComponentProps<'table'>) {
  const ref = useRef<HTMLTableElement>(null)
  const [scrolls, setScrolls] = useState(false)
  const measure = () => {
    const el = ref.current
    if (el) setScrolls(el.scrollWidth > el.clientWidth + 1)
  }
  // After every render (rows come and go) and on every resize of the window or the table.
  useLayoutEffect(measure)
  useLayoutEffect(() => {
    const observer = new ResizeObserver(measure)
    observer.observe(ref.current!)
    return () => observer.disconnect()
  }, [])
  return <table ref={ref} {...props} tabIndex={scrolls ? 0 : undefined} />
}
