import { useTranslation } from 'react-i18next'
import type { Template } from '../app/api'

/** Fills {{1}}, {{2}} … with the entered values (empty ones stay visible as placeholders). */
export const fillTemplate = (body: string, values: string[]) => body.replaceAll(/\{\{(\d+)\}\}/g, (whole, n: string) => values[Number(n) - 1] || whole)

/** A template's header, body with the values, and footer (where advertising says how to object). */
export function TemplateText({ template, values }: { template: Pick<Template, 'header' | 'body' | 'footer'>; values: string[] }) {
  return (
    <>
      {template.header && (
        <p>
          <strong>{template.header}</strong>
        </p>
      )}
      <p>{fillTemplate(template.body, values)}</p>
      {template.footer && <p className="muted small">{template.footer}</p>}
    </>
  )
}

/** A template as the customer will see it, before it is sent. */
export function TemplatePreview(props: { template: Pick<Template, 'header' | 'body' | 'footer'>; values: string[] }) {
  const { t } = useTranslation()
  return (
    <div className="template-preview" role="group" aria-label={t('template.preview')}>
      <TemplateText {...props} />
    </div>
  )
}
