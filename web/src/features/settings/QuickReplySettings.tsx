import { type FormEvent, useState } from 'react'
import { useTranslation } from 'react-i18next'
import { api, type QuickReply } from '../../app/api'
import { useWorkspace } from '../../app/workspace'
import { ErrorLine, useList } from './useList'
import { EmptyRow, Table, TableHead } from '../../ui/TableHead'

/** Saved replies for `/shortcut`: the team's (admins edit) and my own. */
export function QuickReplySettings() {
  const { t } = useTranslation()
  const { user, reload } = useWorkspace()
  const { items, loaded, error, act } = useList<QuickReply>('/api/quick-replies')
  const [formKey, setFormKey] = useState(0)
  const change = async (call: () => Promise<unknown>) => {
    const r = await act(call)
    void reload()
    return r
  }
  const canEdit = (q: QuickReply) => q.scope === 'personal' || user.role === 'admin'

  async function create(e: FormEvent<HTMLFormElement>) {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    if (await change(() => api('POST', '/api/quick-replies', { shortcut: f.get('shortcut'), body: f.get('body'), scope: f.get('scope') ?? 'personal' }))) setFormKey((k) => k + 1)
  }

  return (
    <section aria-labelledby="qr-title">
      <h2 id="qr-title">{t('settings.quick-replies.title')}</h2>
      <p className="muted">{t('settings.quick-replies.intro', { vars: '{{contact.name}}, {{contact.phone}}, {{agent.name}}' })}</p>
      <Table className="table">
        <TableHead columns={[t('settings.quick-replies.shortcut'), t('settings.quick-replies.body'), t('settings.quick-replies.scope')]} actions />
        <tbody>
          {loaded && items.length === 0 && <EmptyRow columns={4}>{t('settings.quick-replies.none')}</EmptyRow>}
          {items.map((q) => (
            <tr key={q.id}>
              <td>
                <code>/{q.shortcut}</code>
              </td>
              <td className="pre">{q.body}</td>
              <td>{t(`settings.quick-replies.${q.scope}`)}</td>
              <td>
                {canEdit(q) && (
                  <button type="button" onClick={() => void change(() => api('DELETE', `/api/quick-replies/${q.id}`))} aria-label={t('settings.deleteNamed', { name: `/${q.shortcut}` })}>
                    {t('settings.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      <form key={formKey} className="card-form" onSubmit={create} aria-label={t('settings.quick-replies.create')}>
        <h3>{t('settings.quick-replies.create')}</h3>
        <label>
          {t('settings.quick-replies.shortcut')}
          <input name="shortcut" required maxLength={30} pattern="[\p{L}\p{N}_\-]+" placeholder={t('settings.quick-replies.shortcutPlaceholder')} />
        </label>
        <label>
          {t('settings.quick-replies.body')}
          <textarea name="body" required maxLength={4096} rows={3} placeholder={t('settings.quick-replies.bodyPlaceholder', { name: '{{contact.name}}', agent: '{{agent.name}}' })} />
        </label>
        {user.role === 'admin' && (
          <label>
            {t('settings.quick-replies.scope')}
            <select aria-label={t('settings.quick-replies.scope')} name="scope" defaultValue="team">
              <option value="team">{t('settings.quick-replies.team')}</option>
              <option value="personal">{t('settings.quick-replies.personal')}</option>
            </select>
          </label>
        )}
        <button type="submit">{t('settings.quick-replies.createButton')}</button>
        <ErrorLine error={error} />
      </form>
    </section>
  )
}
