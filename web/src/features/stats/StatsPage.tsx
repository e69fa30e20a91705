import { useEffect, useMemo, useState } from 'react'
import type { TFunction } from 'i18next'
import { useTranslation } from 'react-i18next'
import { api, describeError } from '../../app/api'
import { useLatest } from '../../app/useLatest'
import { ErrorLine } from '../settings/useList'
import { type Bucket, periodLabel } from './period-label'
import { type Series, StatsChart } from './StatsChart'
import { Table, TableHead } from '../../ui/TableHead'

type Counts = { received: number; sent: number; delivered: number; read: number; failed: number }
/** A period's counts; with a reply target, its answers within and beyond it. */
type Period = Counts & { period: string; replyTargetMet?: number; replyTargetMissed?: number }
type Timing = { count: number; medianSeconds: number | null; p90Seconds: number | null }
type Summary = Counts & { firstResponse: Timing & { withinHours: Timing; outsideHours: Timing }; resolution: Timing & { withinHours: Timing; outsideHours: Timing }; conversationsStarted: number; conversationsResolved: number; optIns: number; optOuts: number; replyTarget: ReplyTargetFigures | null }
/** Answers within the reply target (met) and after it (missed). */
type ReplyTargetFigures = { minutes: number; openingHoursOnly: boolean; met: number; missed: number; share: number | null }

const KEYS = ['received', 'sent', 'delivered', 'read', 'failed'] as const
const COLORS: Record<(typeof KEYS)[number], string> = { received: '#6b7280', sent: '#0b7a6b', delivered: '#2f80c2', read: '#1e4fa0', failed: '#c0392b' }

/** Today's date (YYYY-MM-DD) in a time zone; the browser's own when none (or no valid one) is known. */
function todayIn(timeZone: string | undefined): string {
  const format = (zone: string | undefined) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
  try {
    return format(timeZone)
  } catch {
    return format(undefined)
  }
}

function duration(seconds: number | null, t: TFunction): string {
  if (seconds === null) return '–'
  if (seconds < 90) return t('stats.seconds', { n: Math.round(seconds) })
  if (seconds < 90 * 60) return t('stats.minutes', { n: Math.round(seconds / 60) })
  return t('stats.hours', { n: (seconds / 3600).toFixed(1) })
}

/** The team lead's numbers for a period: totals, response times, consent, and a chart per day/week/month. */
export function StatsPage() {
  const { t, i18n } = useTranslation()
  // The server reads dates as days of the workspace's time zone, so "this month so far" is taken
  // there too: a browser elsewhere (or set to UTC) would otherwise miss the hours around midnight.
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  useEffect(() => {
    const start = (timezone?: string) => {
      const today = todayIn(timezone)
      setFrom(`${today.slice(0, 8)}01`)
      setTo(today)
    }
    void api<{ timezone: string }>('GET', '/api/automation/state').then((s) => start(s.timezone), () => start(undefined))
  }, [])
  const [bucket, setBucket] = useState<Bucket>('day')
  const [campaigns, setCampaigns] = useState<{ id: string; name: string }[]>([])
  const [campaignId, setCampaignId] = useState('')
  useEffect(() => {
    void api<{ items: { id: string; name: string }[] }>('GET', '/api/campaigns').then((r) => setCampaigns(r.items), () => undefined)
  }, [])
  const [summary, setSummary] = useState<Summary | null>(null)
  // The rows with the bucket they were counted in (the menu may already show the next one).
  const [{ items, itemsBucket }, setItems] = useState<{ items: Period[]; itemsBucket: Bucket }>({ items: [], itemsBucket: 'day' })
  const [error, setError] = useState<string | null>(null)
  const latest = useLatest()

  // Dates are days in the workspace's time zone (the server resolves them); `to` is inclusive in
  // the form, so the period ends at the following midnight.
  const query = useMemo(() => {
    if (!from || !to) return null
    const end = new Date(`${to}T00:00:00Z`)
    end.setUTCDate(end.getUTCDate() + 1)
    return `from=${from}&to=${end.toISOString().slice(0, 10)}${campaignId ? `&campaignId=${encodeURIComponent(campaignId)}` : ''}`
  }, [from, to, campaignId])

  useEffect(() => {
    if (!query) return
    setError(null)
    void latest(
      Promise.all([api<Summary>('GET', `/api/stats/summary?${query}`), api<{ items: Period[] }>('GET', `/api/stats/series?${query}&bucket=${bucket}`)]),
      ([s, series]) => {
        setSummary(s)
        setItems({ items: series.items, itemsBucket: bucket })
      },
      (err) => setError(describeError(err)),
    )
  }, [query, bucket])

  const labels = useMemo(() => items.map((i) => periodLabel(i.period, itemsBucket, t, i18n.language)), [items, itemsBucket, t, i18n.language])
  const series: Series[] = useMemo(() => KEYS.map((k) => ({ label: t(`stats.${k}`), color: COLORS[k], values: items.map((i) => i[k]) })), [items, t])

  // The series carries the reply target's columns while one is set.
  const withTarget = items.some((i) => i.replyTargetMet !== undefined)
  return (
    <main className="stats-page">
      <h2>{t('stats.title')}</h2>
      <form className="card-form inline" onSubmit={(e) => e.preventDefault()} aria-label={t('stats.period')}>
        <label>
          {t('stats.from')}
          <input type="date" value={from} max={to} onChange={(e) => e.target.value && setFrom(e.target.value)} />
        </label>
        <label>
          {t('stats.to')}
          <input type="date" value={to} min={from} onChange={(e) => e.target.value && setTo(e.target.value)} />
        </label>
        <label>
          {t('stats.bucket')}
          <select aria-label={t('stats.bucket')} value={bucket} onChange={(e) => setBucket(e.target.value as Bucket)}>
            {(['day', 'week', 'month'] as const).map((b) => (
              <option key={b} value={b}>
                {t(`stats.buckets.${b}`)}
              </option>
            ))}
          </select>
        </label>
        {campaigns.length > 0 && (
          <label>
            {t('stats.campaign')}
            <select aria-label={t('stats.campaign')} value={campaignId} onChange={(e) => setCampaignId(e.target.value)}>
              <option value="">{t('stats.allMessages')}</option>
              {campaigns.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {query && (
          <a className="button-link" href={`/api/stats/series?${query}&bucket=${bucket}&format=csv`} download>
            {t('stats.csv')}
          </a>
        )}
      </form>
      <ErrorLine error={error} />
      {summary && (
        <dl className="stats-cards">
          {KEYS.map((k) => (
            <div key={k}>
              <dt>{t(`stats.${k}`)}</dt>
              <dd>{summary[k]}</dd>
            </div>
          ))}
          <div>
            <dt>{t('stats.firstResponse')}</dt>
            <dd>{duration(summary.firstResponse.medianSeconds, t)}</dd>
            <dd className="small">{t('stats.p90', { value: duration(summary.firstResponse.p90Seconds, t) })}</dd>
          </div>
          <div>
            <dt>{t('stats.withinHours')}</dt>
            <dd>{duration(summary.firstResponse.withinHours.medianSeconds, t)}</dd>
            <dd className="small">{t('stats.outsideHours', { value: duration(summary.firstResponse.outsideHours.medianSeconds, t) })}</dd>
          </div>
          {summary.replyTarget && (
            <div>
              <dt>{t('stats.replyTarget')}</dt>
              <dd>{summary.replyTarget.share === null ? '–' : `${Math.round(summary.replyTarget.share * 100)} %`}</dd>
              <dd className="small">
                {t(summary.replyTarget.openingHoursOnly ? 'stats.replyTargetOf' : 'stats.replyTargetOfClock', {
                  met: summary.replyTarget.met,
                  count: summary.replyTarget.met + summary.replyTarget.missed,
                  target: duration(summary.replyTarget.minutes * 60, t),
                })}
              </dd>
            </div>
          )}
          <div>
            <dt>{t('stats.resolution')}</dt>
            <dd>{duration(summary.resolution.medianSeconds, t)}</dd>
            <dd className="small">{t('stats.p90', { value: duration(summary.resolution.p90Seconds, t) })}</dd>
          </div>
          <div>
            <dt>{t('stats.conversations')}</dt>
            <dd>
              {summary.conversationsStarted} / {summary.conversationsResolved}
            </dd>
          </div>
          <div>
            <dt>{t('stats.optInsOuts')}</dt>
            <dd>
              {summary.optIns} / {summary.optOuts}
            </dd>
          </div>
        </dl>
      )}
      {items.length > 0 && <StatsChart labels={labels} series={series} title={t('stats.chartTitle')} />}
      {items.length > 0 && (
        <Table className="stats-table">
          <caption>{t('stats.chartTitle')}</caption>
          <TableHead columns={[t('stats.periodColumn'), ...KEYS.map((k) => t(`stats.${k}`)), ...(withTarget ? [t('stats.replyTargetColumn')] : [])]} />
          <tbody>
            {items.map((i, n) => (
              <tr key={i.period}>
                <th scope="row">
                  <time dateTime={i.period}>{labels[n]}</time>
                </th>
                {KEYS.map((k) => (
                  <td key={k}>{i[k]}</td>
                ))}
                {withTarget && <td>{t('stats.replyTargetCell', { met: i.replyTargetMet ?? 0, count: (i.replyTargetMet ?? 0) + (i.replyTargetMissed ?? 0) })}</td>}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </main>
  )
}
