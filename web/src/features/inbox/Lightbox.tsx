import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { Icon } from '../../ui/Icon'

/** An image at full size over the chat; Esc, the button or a click outside closes it. */
export function Lightbox({ url, caption, onClose }: { url: string; caption: string; onClose: () => void }) {
  const { t } = useTranslation()
  const close = useRef<HTMLButtonElement>(null)
  useEffect(() => close.current?.focus(), [])
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={caption || t('message.image')} onClick={onClose}>
      <button ref={close} type="button" className="icon lightbox-close" onClick={onClose} aria-label={t('app.close')}>
        <Icon name="close" size={20} />
      </button>
      <img src={url} alt={caption || t('message.image')} onClick={(e) => e.stopPropagation()} />
      {caption && <p>{caption}</p>}
    </div>
  )
}
