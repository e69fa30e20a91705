import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { SHORTCUTS } from './shortcuts'

/** The overview of the inbox's keyboard commands (opened with "?"). */
export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation()
  const close = useRef<HTMLButtonElement>(null)
  useEffect(() => close.current?.focus(), [])
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog shortcuts-dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" onClick={(e) => e.stopPropagation()} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <h2 id="shortcuts-title">{t('shortcuts.title')}</h2>
        <table>
          <caption className="visually-hidden">{t('shortcuts.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('shortcuts.keys')}</th>
              <th scope="col">{t('shortcuts.does')}</th>
            </tr>
          </thead>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.action}>
                <td>
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && ` ${t('shortcuts.or')} `}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </td>
                <td>{t(`shortcuts.${s.action}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">{t('shortcuts.hint')}</p>
        <button type="button" ref={close} onClick={onClose}>
          {t('app.close')}
        </button>
      </div>
    </div>
  )
}
