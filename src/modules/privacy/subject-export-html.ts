import type { SubjectExport } from './subject-export.js'

const esc = (s: unknown) => String(s ?? '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** A readable text for a message of any type (the JSON beside it has every field). */
function messageText(m: Record<string, unknown>): string {
  const content = (m[String(m.type)] ?? {}) as Record<string, unknown>
  if (typeof content.body === 'string') return content.body
  if (typeof content.caption === 'string') return `[${String(m.type)}] ${content.caption}`
  if (typeof content.filename === 'string') return `[${String(m.type)}] ${content.filename}`
  if (m.type === 'location') return `[Standort] ${String(content.latitude)}, ${String(content.longitude)}`
  if (m.type === 'template') return `[Vorlage] ${String(content.name ?? '')}`
  if (m.type === 'reaction') return `[Reaktion] ${String(content.emoji ?? '')}`
  return `[${String(m.type)}]`
}

/** The human-readable half of the access package (Art. 15(3)): the same data as the JSON, as a page. */
export function renderSubjectHtml(d: SubjectExport): string {
  const c = d.contact
  const section = (title: string, body: string) => `<section><h2>${esc(title)}</h2>${body}</section>`
  const list = (items: string[]) => (items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : '<p>Keine.</p>')
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Auskunft nach Art. 15 DSGVO</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#111}h2{font-size:1.1rem;border-bottom:1px solid #ccc;margin-top:2rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.25rem .4rem;text-align:left;vertical-align:top}.in{background:#f4f4f4}small{color:#555}</style></head><body>
<h1>Auskunft über Ihre gespeicherten Daten (Art. 15 DSGVO)</h1>
<p>${d.controller ? `Verantwortlich: ${esc(d.controller.name)}, ${esc(d.controller.address)}` : ''}<br><small>Erstellt ${esc(d.exportedAt)} · maschinenlesbar in <code>data.json</code> (Format ${esc(d.format)}, Version ${d.version})</small></p>
${section('Kontakt', `<dl><dt>WhatsApp-Nummer</dt><dd>${esc(c.waId ?? '—')}</dd><dt>Name</dt><dd>${esc(c.name ?? '—')}</dd><dt>WhatsApp-Profilname</dt><dd>${esc(c.profileName ?? '—')}</dd><dt>Erster Kontakt</dt><dd>${esc(c.firstContactAt)}</dd><dt>Letzter Kontakt</dt><dd>${esc(c.lastContactAt)}</dd></dl>`)}
${section('Berichtigungen', list(d.corrections.map((x) => `${esc(x.correctedAt)}: ${esc(x.field)} „${esc(x.oldValue ?? '')}“ → „${esc(x.newValue)}“ (${esc(x.reason)})`)))}
${section('Einwilligungen', list(d.consents.map((x) => `${esc(x.purpose)}: <strong>${esc(x.state)}</strong>${x.events.map((e) => `<br><small>${esc(e.occurredAt)} · ${esc(e.kind)} · ${esc(e.channel)}${e.text ? ` · „${esc(e.text)}“` : ''}</small>`).join('')}`)))}
${section('Werbung an Bestandskunden (§ 7 Abs. 3 UWG)', list((d.existingCustomer ?? []).map((b) => `${esc(b.purpose)}: Kauf ${esc(b.saleReference)} vom ${esc(b.soldAt)}, erfasst ${esc(b.recordedAt)}${b.active ? '' : ' (beendet)'}<br><small>Hinweis bei Erhebung: „${esc(b.noticeText)}“</small>`)))}
<p>Werbesperre (Widerspruch): ${d.suppressed ? 'ja' : 'nein'}</p>
${section('Datenschutzhinweise', list(d.privacyNotices.map((n) => `Version ${esc(n.version)} am ${esc(n.deliveredAt)}`)))}
${d.conversations
  .map((conv) =>
    section(
      `Unterhaltung vom ${conv.createdAt.slice(0, 10)}`,
      `<p>Labels: ${esc(conv.labels.join(', ') || '—')}</p><table><thead><tr><th>Zeit</th><th>Von</th><th>Nachricht</th><th>Status</th></tr></thead><tbody>${conv.messages
        .map((m) => `<tr class="${m.direction === 'inbound' ? 'in' : 'out'}"><td>${esc(m.timestamp)}</td><td>${m.direction === 'inbound' ? 'Sie' : esc(m.sentBy ?? 'Unternehmen')}</td><td>${esc(messageText(m))}</td><td>${esc(m.status)}</td></tr>`)
        .join('')}</tbody></table>${conv.notes.length ? `<h3>Interne Notizen</h3>${list(conv.notes.map((n) => `${esc(n.createdAt)} · ${esc(n.author)}: ${esc(n.text)}`))}` : ''}`,
    ),
  )
  .join('\n')}
${section('Medien', list(d.media.map((m) => `${m.file ? `<a href="${esc(m.file)}">${esc(m.file)}</a>` : `${esc(m.id)} (nicht gespeichert)`} · ${esc(m.mimeType)}`)))}
${section('Anträge nach Art. 15–22', list(d.requests.map((r) => `${esc(r.kind)}: eingegangen ${esc(r.receivedAt)}, fällig ${esc(r.dueDate)}, ${esc(r.status)}`)))}
${section('Zugriffe auf Ihre Daten', list(d.auditEntries.map((a) => `${esc(a.at)} · ${esc(a.action)} · Rolle ${esc(a.actorRole ?? 'System')}`)))}
</body></html>`
}
