import { type Catalog, en, type MessageKey } from './en';
import { es } from './es';
import { zh } from './zh';
import { zhTw } from './zh-tw';

/** The dashboard's languages, as BCP 47 tags (also the cookie's values). */
export const locales = ['en', 'zh', 'zh-TW', 'es'] as const;
export type Locale = (typeof locales)[number];

const catalogs: Record<Locale, Catalog> = { en, zh, 'zh-TW': zhTw, es };

/** Each language named in itself, for the switcher. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  zh: '简体中文',
  'zh-TW': '繁體中文',
  es: 'Español',
};

export const isLocale = (value: string | undefined): value is Locale =>
  (locales as readonly string[]).includes(value ?? '');

/** Maps a language tag to one of ours: zh-Hant / zh-TW / zh-HK read traditional, other zh simplified. */
function fromTag(tag: string): Locale | undefined {
  const lower = tag.trim().toLowerCase();
  if (lower.startsWith('zh')) return /^zh-(hant|tw|hk|mo)\b/.test(lower) ? 'zh-TW' : 'zh';
  if (lower.startsWith('es')) return 'es';
  if (lower.startsWith('en')) return 'en';
  return undefined;
}

/** The remembered choice (cookie) wins; then the browser's Accept-Language by weight; then English. */
export function negotiateLocale(
  cookie: string | undefined,
  acceptLanguage: string | undefined,
): Locale {
  if (isLocale(cookie)) return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of ranked) {
    const locale = fromTag(tag);
    if (locale) return locale;
  }
  return 'en';
}

/** The translator and Intl formatters of one request's language. */
export interface I18n {
  locale: Locale;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  dateTime(value: Date | number | string): string;
  number(value: number): string;
  money(amount: number, currency: string): string;
}

// Intl constructors are not free; one set per language per isolate.
const cache = new Map<Locale, I18n>();

export function i18nFor(locale: Locale): I18n {
  const hit = cache.get(locale);
  if (hit) return hit;
  const catalog = catalogs[locale];
  const dates = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  });
  const numbers = new Intl.NumberFormat(locale);
  const i18n: I18n = {
    locale,
    t(key, params) {
      const template = catalog[key] ?? en[key];
      if (!params) return template;
      return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
        const value = params[name];
        if (value === undefined) return whole;
        return typeof value === 'number' ? numbers.format(value) : value;
      });
    },
    dateTime: (value) => `${dates.format(new Date(value))} UTC`,
    number: (value) => numbers.format(value),
    money: (amount, currency) =>
      new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount),
  };
  cache.set(locale, i18n);
  return i18n;
}

export type { MessageKey };
