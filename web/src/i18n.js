// web/src/i18n: the display language (Japanese by default, the choice remembered in
// localStorage), message lookup with {name} substitution, and date/number formatting.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { messages, languages } from './messages.js';

const storageKey = 'mamori.lang';

export function initialLanguage() {
  try {
    const saved = window.localStorage.getItem(storageKey);
    if (languages.includes(saved)) return saved;
  } catch {
    // Storage may be disabled; Japanese then.
  }
  return 'ja';
}

export function rememberLanguage(lang) {
  try {
    window.localStorage.setItem(storageKey, lang);
  } catch {
    // Not remembered; the choice still holds for this page.
  }
  document.documentElement.lang = lang;
}

// The lookup function of one language. A missing key shows itself, so that it is noticed.
export function translator(lang) {
  const table = messages[lang] ?? messages.ja;
  return (key, values = {}) => {
    const text = table[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      name in values ? String(values[name]) : whole,
    );
  };
}

export const I18n = createContext({ lang: 'ja', t: translator('ja'), setLang: () => {} });
export const useI18n = () => useContext(I18n);

// Times arrive as RFC 3339 text or as nanoseconds since the epoch (finding JSON).
export function formatTime(value, lang) {
  if (value === null || value === undefined || value === '') return '—';
  const date =
    typeof value === 'number' ? new Date(Math.floor(value / 1e6)) : new Date(String(value));
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'ja-JP', {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

export function formatNumber(value, lang) {
  if (typeof value !== 'number') return value ?? '—';
  return new Intl.NumberFormat(lang === 'en' ? 'en-GB' : 'ja-JP', {
    maximumFractionDigits: 3,
  }).format(value);
}

// A server error's text in the display language (errors carry message and message_ja).
export function errorText(error, lang, t) {
  if (!error) return '';
  const text = lang === 'ja' ? error.messageJa || error.message : error.message || error.messageJa;
  return text || t('common.error');
}
