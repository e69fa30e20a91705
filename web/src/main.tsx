import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { prefetch } from './app/api'
import { App } from './app/App'
import './i18n'
import './ui/app.css'

// What the inbox shows first, requested while React starts (answers 401 harmlessly when signed out).
prefetch(['/api/conversations?limit=50', '/api/team', '/api/labels', '/api/quick-replies', '/api/settings', '/api/notifications', '/api/channels'])

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
