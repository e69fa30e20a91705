import { type ReactNode, useState } from 'react'

/**
 * A button that opens a row or grid of emojis; picking one closes it. The composer's emoji button
 * and a message's reactions are both this.
 */
export function EmojiPicker(props: { emojis: readonly string[]; icon: ReactNode; label: string; itemLabel: (emoji: string) => string; groupClassName: string; onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false)
  return (
    <div className="popover-anchor">
      <button type="button" className="icon" aria-label={props.label} title={props.label} aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {props.icon}
      </button>
      {open && (
        <div className={props.groupClassName} role="group" aria-label={props.label}>
          {props.emojis.map((e) => (
            <button
              key={e}
              type="button"
              className="icon"
              aria-label={props.itemLabel(e)}
              onClick={() => {
                setOpen(false)
                props.onPick(e)
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
