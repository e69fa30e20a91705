import { useWorkspace } from '../../app/workspace'

/** Readable text on any label color: dark on light, white on dark (WCAG relative luminance). */
export function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b! > 0.179 ? '#111b21' : '#ffffff'
}

export function LabelChip({ name, color }: { name: string; color: string }) {
  return (
    <span className="chip" style={{ background: color, color: textOn(color) }}>
      {name}
    </span>
  )
}

export function LabelChips({ ids }: { ids: string[] }) {
  const { labels } = useWorkspace()
  return (
    <>
      {ids.map((id) => {
        const l = labels.find((x) => x.id === id)
        return l ? <LabelChip key={id} name={l.name} color={l.color} /> : null
      })}
    </>
  )
}
