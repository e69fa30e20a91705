import i18n from 'i18next'
import { initReactI18next } from 'react-i18next'
import de from './de.json'
import en from './en.json'

export const LANGUAGES = ['de', 'en'] as const
const stored = typeof localStorage !== 'undefined' ? localStorage.getItem('postfach.language') : null

// German first; English for those who choose it. No detection from other origins, no network.
void i18n.use(initReactI18next).init({
  resources: { de: { translation: de }, en: { translation: en } },
  lng: stored === 'en' ? 'en' : 'de',
  fallbackLng: 'de',
  interpolation: { escapeValue: false },
})

export function setLanguage(lng: (typeof LANGUAGES)[number]) {
  localStorage.setItem('postfach.language', lng)
  document.documentElement.lang = lng
  void i18n.changeLanguage(lng)
}

document.documentElement.lang = i18n.language
export default i18n
