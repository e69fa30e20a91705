import type { Db } from '../../db/database.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings } from '../settings/settings.routes.js'
import { readRetention } from '../privacy/retention-settings.js'
import { ARCHIVE_CHANGES, SOFTWARE_VERSION } from './releases.js'

export type ProcedureFacts = {
  dialect: 'sqlite' | 'postgres'
  keyName: string
  checkpoint: { entries: number; intervalMs: number }
  verifyIntervalMs: number
  tsaUrl: string | undefined
}

type Section = { id: string; title: string; paragraphs: string[] }

/**
 * The Verfahrensdokumentation (GoBD Rz. 151 ff., GOBD-12), generated from the running system so
 * that it describes the procedure actually in use: general description, user, technical and
 * operations documentation, internal controls, retention, export, and the version history of
 * every release that changed the archive. Its version is the software version; the archive
 * records which release (and so which documentation) was in force for every entry.
 */
export async function procedureDocument(db: Db, f: ProcedureFacts): Promise<{ version: string; generatedAt: string; company: string | null; sections: Section[]; releases: { version: string; since: string; fromJournalEntry: number }[] }> {
  const company = await getSetting<CompanySettings>(db, 'company')
  const r = await readRetention(db)
  const releases = (await db.selectFrom('archive_releases').select(['version', 'started_at', 'journal_seq_from']).orderBy('journal_seq_from').execute()).map((x) => ({ version: x.version, since: x.started_at, fromJournalEntry: Number(x.journal_seq_from) }))
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`
  const sections: Section[] = [
    {
      id: 'general',
      title: '1. Allgemeine Beschreibung',
      paragraphs: [
        `${company?.name ?? 'Das Unternehmen'} führt seine Kommunikation mit Kunden über WhatsApp mit Postfach ${SOFTWARE_VERSION}, angebunden an die offizielle WhatsApp Business Platform (Cloud API) von Meta.`,
        'Geschäftsvorfälle in dieser Kommunikation sind Handelsbriefe (Angebote, Bestellungen, Reklamationen), Buchungsbelege (z. B. Rechnungen im Chat) und sonstige Nachrichten. Postfach erfasst jede eingehende und ausgehende Nachricht beim Eingang bzw. Versand vollständig, unverändert und in zeitlicher Reihenfolge.',
      ],
    },
    {
      id: 'user',
      title: '2. Anwenderdokumentation',
      paragraphs: [
        'Rollen: Administratoren (Einstellungen, Sperren, Prüfungszeitraum), Mitarbeiter (Kommunikation, Klassifizierung), Prüfer (nur lesend: Archivsuche, Export, Prüfprotokoll). Jede Rolle ist bei jeder Schnittstelle hinterlegt.',
        `Klassifizierung: Jede Konversation hat eine Aufbewahrungsklasse (Voreinstellung: ${r.defaultClass}); Mitarbeiter und Administratoren können Konversationen und einzelne Nachrichten mit Begründung umklassifizieren. Jede Änderung bleibt mit Zeit, Person und Grund erhalten.`,
        'Sperren: Administratoren setzen Aufbewahrungssperren für einen Kontakt, eine Konversation oder einen Zeitraum (laufende Prüfung, Rechtsstreit). Solange eine Sperre gilt, wird nichts gelöscht.',
      ],
    },
    {
      id: 'technical',
      title: '3. Technische Systemdokumentation',
      paragraphs: [
        `Datenfluss: Meta ruft den Webhook auf → Postfach prüft die Signatur (HMAC-SHA256 des Rohkörpers) → der Rohkörper wird unverändert im Journal gespeichert (${f.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'}, Tabelle journal; UPDATE und DELETE verweigert die Datenbank) → erst nach dem Commit antwortet Postfach mit 200. Ausgehende Nachrichten werden mit Anfrage und Antwort der Graph API ebenso journalisiert; Medien werden byte-genau gespeichert und ihr SHA-256 journalisiert.`,
        'Verschlüsselung: Journaleinträge, die Kunden nennen, werden mit AES-256-GCM verschlüsselt; der Inhaltsschlüssel ist auf Schlüssel je Kunde und Kalenderjahr verteilt, die mit dem Hauptschlüssel der Installation verpackt sind. Ebenso verschlüsselt sind die Nachrichteninhalte des Posteingangs, die Medien-Dateien die Kontaktdaten (Name, Telefonnummer, WhatsApp-Nutzerkennung) und was das Team über Kunden schreibt (Notizen, Begründungen von Umklassifizierungen, Notizen zu Betroffenenanfragen); Dateinamen stehen nur in der verschlüsselten Nachricht; gesucht und nachgeschlagen wird über Schlüssel-Hashes (HMAC-SHA-256), nicht über Klartext. Der Prüfer erhält entschlüsselten Zugriff (Suche, Export), solange die Aufbewahrungsfrist läuft.',
        'Protokoll: Jeder Journaleintrag wird Blatt eines Merkle-Baums nach RFC 6962 (Blatt-Hash SHA-256(0x00 ‖ Blatt), Knoten SHA-256(0x01 ‖ links ‖ rechts)). Das Blatt (Format postfach-leaf/1) enthält Laufnummer, Art, Zeitpunkt, den SHA-256 der gespeicherten Bytes und SHA-256(Salz ‖ Original); es enthält keine personenbezogenen Daten.',
        `Prüfpunkte: Alle ${f.checkpoint.entries} Einträge oder ${seconds(f.checkpoint.intervalMs)} sowie beim Beenden wird der Baumzustand mit Ed25519 signiert (C2SP signed note, Ursprung und Schlüsselname ${f.keyName}). Alle Prüfpunkte bleiben erhalten.${f.tsaUrl ? ` Jeder Prüfpunkt erhält einen qualifizierbaren Zeitstempel nach RFC 3161 von ${f.tsaUrl}.` : ' Ein Zeitstempeldienst (RFC 3161) ist nicht eingerichtet.'}`,
        `Laufende Prüfung: Alle ${seconds(f.verifyIntervalMs)} prüft Postfach neue Prüfpunkte gegeneinander (Konsistenzbeweis) und die jüngsten Einträge gegen das Journal; eine Abweichung legt einen Sicherheitsvorfall an und wird im Zugriffsprotokoll vermerkt. "postfach archive verify" prüft das gesamte Archiv.`,
      ],
    },
    {
      id: 'operations',
      title: '4. Betriebsdokumentation',
      paragraphs: [
        'Datensicherung: Datenbank, Medienverzeichnis, Hauptschlüssel (master.key) und Signaturschlüssel (archive-signing.key) werden gesichert; die Liste vernichteter Schlüssel (shredded-keys) wird getrennt davon aufbewahrt und nie aus einer älteren Sicherung zurückgespielt. Beim Start nach einer Wiederherstellung vernichtet Postfach erneut, was zuvor vernichtet war.',
        'Überwachung: GET /api/archive/status zeigt Protokollgröße, letzte Prüfpunkte und das Ergebnis der laufenden Prüfung.',
      ],
    },
    {
      id: 'controls',
      title: '5. Internes Kontrollsystem',
      paragraphs: [
        'Unveränderbarkeit: Journal, Protokoll, Prüfpunkte, Klassifizierungs- und Zugriffsprotokolle sind in der Datenbank nur anhängbar. Korrekturen sind neue, verknüpfte Einträge.',
        'Zugriff: Rollenprüfung an jeder Schnittstelle, Anmeldung mit Argon2id-Passwörtern, jede Lese-, Export- und Prüferabfrage im Zugriffsprotokoll mit Abfragedefinition.',
      ],
    },
    {
      id: 'retention',
      title: '6. Aufbewahrung und Löschung',
      paragraphs: [
        `Fristen ab Ende des Kalenderjahres (Europe/Berlin): Handelsbriefe ${r.handelsbriefYears} Jahre, Buchungsbelege ${r.buchungsbelegYears} Jahre, Bücher und Aufzeichnungen ${r.buchYears} Jahre; Werbung und Nachrichten ohne Pflicht werden nach der Datenschutz-Frist gelöscht.`,
        'Löschung: Nach Fristende und ohne Sperre werden die Datensätze gelöscht und die Schlüssel vernichtet (Crypto-Shredding); die Protokollblätter bleiben, ein Löschnachweis wird angehängt. Vorher wird die Löschung verweigert und protokolliert.',
      ],
    },
    {
      id: 'export',
      title: '7. Datenzugriff und Datenüberlassung',
      paragraphs: [
        'Z1: Rolle Prüfer, begrenzt auf steuerlich relevante Klassen und den Prüfungszeitraum, mit Suche, Filter und Sortierung. Z2: jede Abfrage wird mit Definition und Prüfsumme des Ergebnisses protokolliert. Z3: ZIP nach dem Beschreibungsstandard (index.xml, gdpdu-01-09-2004.dtd, CSV in UTF-8 mit Semikolon), Originale (JSON) und Medien unverändert, Prüfpunkt, Inklusionsbeweise und ein eigenständiges Prüfprogramm (verify.mjs).',
      ],
    },
  ]
  return { version: SOFTWARE_VERSION, generatedAt: new Date().toISOString(), company: company?.name ?? null, sections, releases }
}

export function procedureHtml(doc: Awaited<ReturnType<typeof procedureDocument>>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return `<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Verfahrensdokumentation Postfach ${esc(doc.version)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:820px;margin:2em auto;padding:0 1em;color:#1b1f23}h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>
<h1>Verfahrensdokumentation: WhatsApp-Kommunikation mit Postfach</h1>
<p>${esc(doc.company ?? '')} · Dokumentversion ${esc(doc.version)} · erzeugt ${esc(doc.generatedAt)}</p>
${doc.sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('')}</section>`).join('\n')}
<section id="history"><h2>8. Versionsgeschichte</h2>
<table><thead><tr><th>Version</th><th>Datum</th><th>Änderung am Archiv</th></tr></thead><tbody>${ARCHIVE_CHANGES.map((c) => `<tr><td>${esc(c.version)}</td><td>${esc(c.date)}</td><td>${esc(c.change)}</td></tr>`).join('')}</tbody></table>
<h3>Im Einsatz</h3><table><thead><tr><th>Version</th><th>seit</th><th>ab Journaleintrag</th></tr></thead><tbody>${doc.releases.map((r) => `<tr><td>${esc(r.version)}</td><td>${esc(r.since)}</td><td>${r.fromJournalEntry}</td></tr>`).join('')}</tbody></table></section>
</body></html>`
}
