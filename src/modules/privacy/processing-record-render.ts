import PDFDocument from 'pdfkit'
import type { ProcessingRecord } from './processing-record.js'

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

type Meta = { version: number; createdAt: string; printedAt: string }

const berlin = new Intl.DateTimeFormat('de-DE', { timeZone: 'Europe/Berlin', dateStyle: 'medium', timeStyle: 'short' })
const when = (iso: string) => berlin.format(new Date(iso))

/** The record's sections in the order of Art. 30(1), as heading and lines: one source for HTML and PDF. */
function sections(r: ProcessingRecord): { id: string; title: string; lines: string[] }[] {
  const c = r.a_controller
  return [
    {
      id: 'a',
      title: 'a) Name und Kontaktdaten des Verantwortlichen und des Datenschutzbeauftragten',
      lines: [
        c.name ? `${c.name}, ${c.address ?? ''}${c.email ? `, ${c.email}` : ''}` : 'Noch nicht eingetragen (Einstellungen → Allgemein → Unternehmen)',
        c.dpo ? `Datenschutzbeauftragte/r: ${c.dpo.name}, ${c.dpo.email}${c.dpo.address ? `, ${c.dpo.address}` : ''}` : 'Datenschutzbeauftragte/r: nicht benannt',
      ],
    },
    { id: 'b', title: 'b) Zwecke der Verarbeitung', lines: r.b_purposes.map((p) => `${p.description} – ${p.legalBasis}`) },
    { id: 'c', title: 'c) Kategorien betroffener Personen und personenbezogener Daten', lines: [...r.c_categories.subjects.map((s) => `Betroffene: ${s}`), ...r.c_categories.data.map((d) => `Daten: ${d}`)] },
    { id: 'd', title: 'd) Kategorien von Empfängern', lines: r.d_recipients.map((x) => `${x.name} – ${x.role}${x.country !== '—' ? ` (${x.country})` : ''}`) },
    { id: 'e', title: 'e) Übermittlungen an Drittländer', lines: r.e_transfers.map((t) => `${t.recipient} (${t.country}): ${t.basis}; ${t.safeguards}. Speicherung bei Meta: ${t.storage}`) },
    { id: 'f', title: 'f) Vorgesehene Fristen für die Löschung', lines: r.f_erasure.map((f) => `${f.dataClass}: ${f.period}`) },
    { id: 'g', title: 'g) Technische und organisatorische Maßnahmen (Art. 32 Abs. 1)', lines: r.g_toms },
  ]
}

export function renderRecordHtml(r: ProcessingRecord, m: Meta): string {
  const body = sections(r)
    .map((s) => `<section id="field-${s.id}"><h2>${esc(s.title)}</h2><ul>${s.lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></section>`)
    .join('\n')
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Verzeichnis von Verarbeitungstätigkeiten – Version ${m.version}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111}h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.5rem;border-bottom:1px solid #ccc}small{color:#555}@media print{body{margin:0}}</style></head>
<body><h1>Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)</h1>
<p><strong>${esc(r.title)}</strong><br><small>Version ${m.version} vom ${esc(when(m.createdAt))} · erzeugt aus der laufenden Konfiguration · gedruckt ${esc(when(m.printedAt))}</small></p>
${body}
</body></html>`
}

export function renderRecordPdf(r: ProcessingRecord, m: Meta): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: `Verzeichnis von Verarbeitungstätigkeiten – Version ${m.version}`, Author: r.a_controller.name ?? 'Postfach' } })
  const chunks: Buffer[] = []
  doc.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))))
  doc.font('Helvetica-Bold').fontSize(16).text('Verzeichnis von Verarbeitungstätigkeiten (Art. 30 Abs. 1 DSGVO)')
  doc.moveDown(0.3).font('Helvetica').fontSize(10).text(`${r.title} · Version ${m.version} vom ${when(m.createdAt)} · gedruckt ${when(m.printedAt)}`)
  for (const s of sections(r)) {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).text(s.title)
    doc.moveDown(0.2).font('Helvetica').fontSize(10)
    for (const line of s.lines) doc.text(`• ${line}`, { paragraphGap: 2 })
  }
  doc.end()
  return done
}
