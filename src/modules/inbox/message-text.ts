/** The searchable/previewable text of a message's content: body, caption, file name or title. */
export function messageText(type: string, content: string): string | null {
  if (!content.startsWith('{')) return null
  const raw = JSON.parse(content) as Record<string, Record<string, unknown> | undefined>
  const obj = raw[type] ?? {}
  const interactive = raw.interactive as { button_reply?: { title?: string }; list_reply?: { title?: string } } | undefined
  const text = [obj.body, obj.caption, obj.filename, interactive?.button_reply?.title, interactive?.list_reply?.title, obj.text, obj.name, obj.emoji]
    .find((v) => typeof v === 'string' && v.length > 0)
  return typeof text === 'string' ? text : null
}
