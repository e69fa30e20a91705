import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { usePanelForm } from './usePanelForm'

/** Today's date where it is latest on Earth (UTC+14): the server checks the date in the company's time zone. */
const latestToday = () => new Date(Date.now() + 14 * 3_600_000).toISOString().slice(0, 10)

/**
 * Records the existing-customer basis (§ 7(3) UWG): the sale the number came with, the objection
 * notice given then, and the declaration that the advertising is for similar own goods.
 */
export function ExistingCustomerForm({ contactId, purposes, onDone }: { contactId: string; purposes: { key: string; label: string }[]; onDone: () => void }) {
  const { t } = useTranslation()
  const { open, setOpen, error, submit } = usePanelForm(
    (f) =>
      api('POST', `/api/contacts/${contactId}/existing-customer`, {
        purpose: f.get('purpose'),
        saleReference: f.get('saleReference'),
        soldAt: f.get('soldAt'),
        noticeText: f.get('noticeText'),
        similarGoods: f.get('similarGoods') === 'on',
      }),
    onDone,
  )
  if (!open) {
    return (
      <button type="button" className="link small" onClick={() => setOpen(true)}>
        {t('consent.existing.record')}
      </button>
    )
  }
  return (
    <form className="card-form" onSubmit={submit} aria-label={t('consent.existing.record')}>
      <p className="small muted">{t('consent.existing.hint')}</p>
      <label>
        {t('consent.existing.purpose')}
        <select name="purpose" aria-label={t('consent.existing.purpose')}>
          {purposes.map((p) => (
            <option key={p.key} value={p.key}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('consent.existing.saleReference')}
        <input name="saleReference" required minLength={2} maxLength={200} />
      </label>
      <label>
        {t('consent.existing.soldAt')}
        <input name="soldAt" type="date" required max={latestToday()} />
      </label>
      <label>
        {t('consent.existing.noticeText')}
        <textarea name="noticeText" required minLength={20} maxLength={2000} rows={3} />
      </label>
      <label className="check">
        <input name="similarGoods" type="checkbox" required /> {t('consent.existing.similarGoods')}
      </label>
      <div className="row">
        <button type="submit">{t('consent.existing.save')}</button>
        <button type="button" className="link" onClick={() => setOpen(false)}>
          {t('consent.existing.cancel')}
        </button>
      </div>
      {error && <p role="alert" className="error small">{error}</p>}
    </form>
  )
}
