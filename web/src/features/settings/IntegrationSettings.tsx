import { useTranslation } from 'react-i18next'
import { api } from '../../app/api'
import { formatWhen } from '../inbox/format'
import { SecretNotice, useCreateShowingSecret } from './SecretOnce'
import { ErrorLine, useList } from './useList'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'

type IntegrationRow = { id: string; name: string; url: string; createdAt: string }

/** Systems told of erasure, restriction and rectification (GDPR-19): signed webhooks, the secret shown once. */
export function IntegrationSettings() {
  const { t } = useTranslation()
  const { items, loaded, error, act } = useList<IntegrationRow>('/api/integrations')
  const { fresh, create } = useCreateShowingSecret(act, (f) => api<{ secret: string }>('POST', '/api/integrations', { name: f.get('name'), url: f.get('url') }), (r) => r.secret)

  return (
    <section aria-labelledby="integrations-title">
      <h2 id="integrations-title">{t('settings.integrations.title')}</h2>
      <p className="muted">{t('settings.integrations.intro')}</p>
      <SecretNotice secret={fresh} text={t('settings.integrations.once')} />
      <Table className="table">
        <TableHead columns={[t('settings.tokens.name'), t('settings.integrations.url'), t('settings.integrations.since')]} actions />
        <tbody>
          {loaded && items.length === 0 && <EmptyRow columns={4}>{t('settings.integrations.none')}</EmptyRow>}
          {items.map((i) => (
            <tr key={i.id}>
              <td>{i.name}</td>
              <td>
                <code className="small">{i.url}</code>
              </td>
              <td>{formatWhen(i.createdAt)}</td>
              <td>
                <button type="button" onClick={() => void act(() => api('DELETE', `/api/integrations/${i.id}`))} aria-label={t('settings.integrations.removeNamed', { name: i.name })}>
                  {t('settings.integrations.remove')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <form className="card-form" onSubmit={create} aria-label={t('settings.integrations.create')}>
        <h3>{t('settings.integrations.create')}</h3>
        <label>
          {t('settings.tokens.name')}
          <input name="name" required maxLength={100} placeholder="CRM" />
        </label>
        <label>
          {t('settings.integrations.url')}
          <input name="url" type="url" required maxLength={2000} placeholder="https://crm.example/hooks/postfach" />
        </label>
        <button type="submit">{t('settings.integrations.createButton')}</button>
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
