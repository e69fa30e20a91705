import { useTranslation } from 'react-i18next'
import { RoleField } from '../../ui/Options'
import { api, type Role } from '../../app/api'
import { formatWhen } from '../inbox/format'
import { SecretNotice, useCreateShowingSecret } from './SecretOnce'
import { ErrorLine, useList } from './useList'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'

type TokenRow = { id: string; name: string; role: Role; createdAt: string; lastUsedAt: string | null; revokedAt: string | null }

/** API tokens for integrations: shown once when created, stored hashed, revocable. */
export function TokenSettings() {
  const { t } = useTranslation()
  const { items, loaded, error, act } = useList<TokenRow>('/api/tokens')
  const { fresh, create } = useCreateShowingSecret(act, (f) => api<{ token: string }>('POST', '/api/tokens', { name: f.get('name'), role: f.get('role') }), (r) => r.token)

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t('settings.tokens.title')}</h2>
      <p className="muted">{t('settings.tokens.intro')}</p>
      <SecretNotice secret={fresh} text={t('settings.tokens.once')} />
      <Table className="table">
        <TableHead columns={[t('settings.tokens.name'), t('settings.users.role'), t('settings.tokens.lastUsed')]} actions />
        <tbody>
          {loaded && items.length === 0 && <EmptyRow columns={4}>{t('settings.tokens.none')}</EmptyRow>}
          {items.map((tk) => (
            <tr key={tk.id} className={tk.revokedAt ? 'inactive' : ''}>
              <td>{tk.name}</td>
              <td>{t(`role.${tk.role}`)}</td>
              <td>{tk.lastUsedAt ? formatWhen(tk.lastUsedAt) : t('settings.tokens.never')}</td>
              <td>
                {tk.revokedAt ? (
                  <span className="muted">{t('settings.tokens.revoked')}</span>
                ) : (
                  <button type="button" onClick={() => void act(() => api('DELETE', `/api/tokens/${tk.id}`))} aria-label={t('settings.tokens.revokeNamed', { name: tk.name })}>
                    {t('settings.tokens.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <form className="card-form" onSubmit={create} aria-label={t('settings.tokens.create')}>
        <h3>{t('settings.tokens.create')}</h3>
        <label>
          {t('settings.tokens.name')}
          <input name="name" required maxLength={100} placeholder="CRM" />
        </label>
        <RoleField />
        <button type="submit">{t('settings.tokens.createButton')}</button>
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
