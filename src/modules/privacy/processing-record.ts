import { createHash } from 'node:crypto'
import { readAssignmentSettings } from '../assignment/assignment-settings.js'
import type { Executor } from '../../db/database.js'
import { nowIso } from '../../platform/time.js'
import { listPurposes } from '../consent/consent.repo.js'
import { getSetting } from '../settings/settings.repo.js'
import type { CompanySettings } from '../settings/settings.routes.js'
import { type Dpo, readMetaStorage, readRetention, readStrictEu } from './retention-settings.js'

/** Facts about this installation that the TOMs (field g) are built from. */
export type Deployment = { dialect: 'sqlite' | 'postgres'; https: boolean; simulator: boolean }

type Purpose = { key: string; description: string; legalBasis: string }

/**
 * The Art. 30(1) record of processing activities for "WhatsApp customer communication via
 * Postfach", generated from the live configuration so that it cannot drift from what the system
 * does. Fields (a)–(g) exactly as the article lists them.
 */
export type ProcessingRecord = {
  title: string
  a_controller: { name: string | null; address: string | null; email: string | null; dpo: Dpo | null }
  b_purposes: Purpose[]
  c_categories: { subjects: string[]; data: string[] }
  d_recipients: { name: string; role: string; country: string }[]
  e_transfers: { recipient: string; country: string; basis: string; safeguards: string; storage: string }[]
  f_erasure: { dataClass: string; period: string }[]
  g_toms: string[]
}

export async function buildProcessingRecord(db: Executor, deployment: Deployment): Promise<ProcessingRecord> {
  const company = await getSetting<CompanySettings>(db, 'company')
  const dpo = (await getSetting<Dpo>(db, 'privacy.dpo')) ?? null
  const retention = await readRetention(db)
  const storage = await readMetaStorage(db)
  const strictEu = await readStrictEu(db)
  const consentPurposes = await listPurposes(db)
  const tokens = await db.selectFrom('api_tokens').select('name').where('revoked_at', 'is', null).orderBy('name').execute()
  const assignment = await readAssignmentSettings(db)
  const hooks = await db.selectFrom('integrations').select(['name', 'url']).where('removed_at', 'is', null).orderBy('name').execute()
  return {
    title: 'Kundenkommunikation über WhatsApp mit Postfach',
    a_controller: { name: company?.name ?? null, address: company?.address ?? null, email: company?.email ?? null, dpo },
    b_purposes: [
      { key: 'service', description: 'Beantwortung von Anfragen der Kundinnen und Kunden, Auftragsabwicklung', legalBasis: 'Art. 6 Abs. 1 lit. b DSGVO (Vertrag, vorvertragliche Anfrage); bei Kontaktaufnahme durch die Person Art. 6 Abs. 1 lit. f' },
      { key: 'retention', description: 'Aufbewahrung von Handelsbriefen und Buchungsbelegen', legalBasis: 'Art. 6 Abs. 1 lit. c DSGVO i. V. m. § 147 AO, § 257 HGB' },
      ...consentPurposes.map((p) => ({ key: p.key, description: p.label_de, legalBasis: 'Art. 6 Abs. 1 lit. a DSGVO (Einwilligung, Double-Opt-in), § 7 Abs. 2 UWG' })),
      { key: 'suppression', description: 'Sperrliste nach Widerspruch, damit niemand erneut angeschrieben wird', legalBasis: 'Art. 6 Abs. 1 lit. c und f DSGVO (Art. 21 Abs. 3)' },
      { key: 'security', description: 'Protokolle über Zugriffe auf personenbezogene Daten, Integrität des Archivs', legalBasis: 'Art. 6 Abs. 1 lit. c und f DSGVO (Art. 5 Abs. 2, Art. 32)' },
      ...(assignment.enabled
        ? [{ key: 'assignment', description: 'Automatische Verteilung neuer Kundenanfragen an Beschäftigte, die sich als verfügbar gemeldet und die Anwendung geöffnet haben (nur der aktuelle Stand, kein Verlauf)', legalBasis: 'Art. 6 Abs. 1 lit. b und f DSGVO (Beschäftigungsverhältnis, Organisation der Arbeit); ggf. Mitbestimmung nach § 87 Abs. 1 Nr. 6 BetrVG' }]
        : []),
    ],
    c_categories: {
      subjects: ['Kundinnen, Kunden und Interessenten, die über WhatsApp schreiben oder angeschrieben werden', 'Beschäftigte, die Postfach nutzen'],
      data: ['Telefonnummer bzw. WhatsApp-ID', 'WhatsApp-Profilname', 'Nachrichteninhalte', 'Medien (Bilder, Dokumente, Sprachnachrichten)', 'Metadaten (Zeitpunkte, Zustellstatus)', 'Einwilligungen und Widersprüche mit Nachweisen', 'interne Notizen und Labels', 'bei Beschäftigten: Name, E-Mail, Rolle, Zugriffsprotokoll', ...(assignment.enabled ? ['bei Beschäftigten: Verfügbarkeit, ob die Anwendung gerade geöffnet ist, Zahl der offenen Unterhaltungen'] : [])],
    },
    d_recipients: [
      { name: 'Meta Platforms Ireland Ltd. (WhatsApp Business Platform, Cloud API)', role: 'Auftragsverarbeiter (Art. 28 DSGVO)', country: 'IE' },
      ...tokens.map((t) => ({ name: `Integration „${t.name}“ (API-Zugang)`, role: 'Empfänger im Auftrag des Verantwortlichen', country: '—' })),
      ...hooks.map((h) => ({ name: `Integration „${h.name}“ (${new URL(h.url).host}), erhält Löschung, Einschränkung und Berichtigung (Art. 19 DSGVO)`, role: 'Empfänger im Auftrag des Verantwortlichen', country: '—' })),
    ],
    e_transfers: [
      {
        recipient: 'Meta Platforms, Inc.',
        country: 'US',
        basis: 'Angemessenheitsbeschluss EU-US Data Privacy Framework (Art. 45 DSGVO, 10.07.2023)',
        safeguards: 'Standardvertragsklauseln 2021/914 als Rückfallebene (Art. 46 Abs. 2 lit. c DSGVO)',
        storage:
          (strictEu ? 'Strenger EU-Modus: Daten ruhen nur in der EU oder gar nicht bei Meta; die Anwendung verlinkt keine Dienste außerhalb der EU. ' : '') +
          (storage === 'local-eu'
            ? 'Local Storage in der EU: Daten ruhen in der EU; Verarbeitung während der Nutzung bis zu 60 Minuten international'
            : storage === 'no-storage'
              ? 'No Storage: Nachrichten höchstens 1 Stunde bei Meta'
              : 'Standard: Meta speichert Nachrichteninhalte bis zu 30 Tage zur erneuten Zustellung'),
      },
    ],
    f_erasure: [
      { dataClass: 'Handelsbriefe (Anfragen, Angebote, Aufträge, Reklamationen)', period: `${retention.handelsbriefYears} Jahre ab Ende des Kalenderjahres (§ 147 Abs. 3 AO, § 257 Abs. 4 HGB)` },
      { dataClass: 'Buchungsbelege (Rechnungen, Quittungen im Chat)', period: `${retention.buchungsbelegYears} Jahre ab Ende des Kalenderjahres` },
      { dataClass: 'Bücher und Aufzeichnungen', period: `${retention.buchYears} Jahre ab Ende des Kalenderjahres` },
      { dataClass: 'Werbenachrichten ohne Geschäftsbezug', period: `bis zum Widerruf, danach ${retention.marketingDays} Tage` },
      { dataClass: 'Einwilligungsnachweise', period: `solange genutzt, danach ${retention.consentEvidenceYears} Jahre (Maßstab § 7a UWG)` },
      { dataClass: 'Notizen und Labels', period: `${retention.notesMonths} Monate nach der letzten Nachricht` },
      { dataClass: 'Zugriffsprotokoll', period: `${retention.auditYears} Jahre` },
      { dataClass: 'Sperrliste (gesalzener Hash der Nummer)', period: 'solange ein Widerspruch zu beachten ist' },
    ],
    g_toms: [
      'Selbst betrieben: personenbezogene Daten gehen an niemanden außer die WhatsApp Cloud API; die Weboberfläche lädt nichts von fremden Servern',
      deployment.https ? 'Transportverschlüsselung (HTTPS) für die Weboberfläche und die Webhooks' : 'Achtung: PUBLIC_URL ist nicht https – für den Betrieb HTTPS einrichten',
      'Webhooks nur mit gültiger Signatur (HMAC-SHA256, X-Hub-Signature-256)',
      'Zugangsdaten zur Cloud API verschlüsselt gespeichert (AES-256-GCM, Hauptschlüssel außerhalb der Datenbank)',
      'Passwörter mit Argon2id; Sitzungen serverseitig, widerrufbar, httpOnly/SameSite-Cookies, CSRF-Schutz, Drosselung von Anmeldeversuchen',
      'Rollen (Administration, Service, Prüfung) an jedem Zugriffspunkt geprüft',
      `Datenbank ${deployment.dialect === 'postgres' ? 'PostgreSQL' : 'SQLite'} mit dauerhaftem Schreiben vor jeder Bestätigung; Journal, Einwilligungen und Protokolle nur anhängbar`,
      'Zugriffsprotokoll für Lesen, Export, Berichtigung und Löschung personenbezogener Daten',
      'Anwendungsprotokolle ohne Telefonnummern und Nachrichteninhalte',
      'Datensicherung nach Betriebshandbuch (README, Abschnitt Backups)',
    ],
  }
}

/**
 * The record as a stored version: a new version whenever its content differs from the newest
 * one, so that every configuration it was ever generated from stays on file.
 */
export async function currentRecordVersion(db: Executor, record: ProcessingRecord): Promise<{ version: number; createdAt: string }> {
  const content = JSON.stringify(record)
  const sha = createHash('sha256').update(content).digest('hex')
  const latest = await db.selectFrom('processing_records').select(['version', 'content_sha256', 'created_at']).orderBy('version', 'desc').limit(1).executeTakeFirst()
  if (latest?.content_sha256 === sha) return { version: latest.version, createdAt: latest.created_at }
  const version = (latest?.version ?? 0) + 1
  const createdAt = nowIso()
  await db.insertInto('processing_records').values({ version, content_sha256: sha, content, created_at: createdAt }).onConflict((oc) => oc.column('version').doNothing()).execute()
  return { version, createdAt }
}
