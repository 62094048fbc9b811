// Dictionaries are small JSON files per language; a missing key falls back to English, then to the key.
export const SUPPORTED = ['en', 'de', 'nl', 'pl', 'hu'];

let dictionary = {};
let english = {};
export let language = 'en';

async function fetchDictionary(code) {
  const response = await fetch(`./i18n/${code}.json`, { cache: 'no-cache', credentials: 'omit' });
  if (!response.ok) throw new Error(`i18n ${code}: ${response.status}`);
  return response.json();
}

/** First supported language among the candidates ("de-DE", "pl_PL", "nl"…), else English. */
export function pickLanguage(candidates) {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const base = String(candidate).toLowerCase().replace('_', '-').split('-')[0];
    if (SUPPORTED.includes(base)) return base;
  }
  return 'en';
}

export async function loadLanguage(code) {
  english = await fetchDictionary('en').catch(() => ({}));
  language = SUPPORTED.includes(code) ? code : 'en';
  dictionary = language === 'en' ? english : await fetchDictionary(language).catch(() => english);
  document.documentElement.lang = language;
}

export function has(key) {
  return key in dictionary || key in english;
}

export function t(key, values) {
  let text = dictionary[key] ?? english[key] ?? key;
  for (const [name, value] of Object.entries(values ?? {})) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** Fills every [data-i18n] element's text and [data-i18n-label] element's aria-label. */
export function translatePage(root = document) {
  for (const element of root.querySelectorAll('[data-i18n]')) {
    const key = element.dataset.i18n;
    if (has(key)) element.textContent = t(key);
  }
  for (const element of root.querySelectorAll('[data-i18n-label]')) {
    const key = element.dataset.i18nLabel;
    if (has(key)) element.setAttribute('aria-label', t(key));
  }
  document.title = t('title');
}

export const format = {
  number: (value, digits = 0) => new Intl.NumberFormat(language, { maximumFractionDigits: digits }).format(value),
  percent: (value) => new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 0 }).format(value / 100),
  dateTime: (value) => value ? new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value)) : '—',
  /** "about 3 minutes", "2 hours": the largest unit that fits, in the page's language. */
  duration(seconds) {
    const [amount, unit] = seconds >= 5400 ? [seconds / 3600, 'hour'] : seconds >= 90 ? [seconds / 60, 'minute'] : [seconds, 'second'];
    return new Intl.NumberFormat(language, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 0 }).format(Math.max(1, Math.round(amount)));
  },
};
