import { useState } from 'react'
import { useTranslation } from 'react-i18next'

// The emojis service teams use most; the operating system's emoji keyboard has the rest.
const EMOJIS = ['😊', '🙂', '😀', '😉', '😅', '🙏', '👍', '👋', '👌', '🙌', '👏', '💪', '❤️', '🎉', '✅', '❌', '⚠️', '📦', '🚚', '📞', '📧', '📅', '⏰', '💶', '🔧', '😢', '😮', '🤔', '👀', '✨']

export function EmojiButton({ onPick }: { onPick: (emoji: string) => void }) {
  const { t } = useTranslation()
  const [open, setOpen] = useState(false)
  return (
    <div className="popover-anchor">
      <button type="button" className="icon" aria-label={t('composer.emoji')} title={t('composer.emoji')} aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        😊
      </button>
      {open && (
        <div className="popover emoji-grid" role="group" aria-label={t('composer.emoji')}>
          {EMOJIS.map((e) => (
            <button
              key={e}
              type="button"
              className="icon"
              aria-label={e}
              onClick={() => {
                setOpen(false)
                onPick(e)
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
    </div>
  )
}
