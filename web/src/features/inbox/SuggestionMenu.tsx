export type Suggestion = { id: string; label: string; detail: string; insert: string }

/** The list that opens above the composer for `/` quick replies and `@` mentions. */
export function SuggestionMenu({ items, active, onPick, label }: { items: Suggestion[]; active: number; onPick: (s: Suggestion) => void; label: string }) {
  return (
    <ul id="composer-suggestions" className="suggestions" role="listbox" aria-label={label}>
      {items.slice(0, 8).map((s, i) => (
        <li
          key={s.id}
          role="option"
          aria-selected={i === active}
          className={i === active ? 'active' : ''}
          onMouseDown={(e) => {
            e.preventDefault() // keep the caret in the textarea
            onPick(s)
          }}
        >
          <strong>{s.label}</strong>
          {s.detail && <span className="muted small"> {s.detail.length > 80 ? `${s.detail.slice(0, 79)}…` : s.detail}</span>}
        </li>
      ))}
    </ul>
  )
}
