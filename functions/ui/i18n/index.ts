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
  /** Money rounded for the currency (totals, spend). */
  money(amount: number, currency: string): string;
  /** Money at its full precision (unit prices: 0.045 stays 0.045, never 0.05). */
  price(amount: number, currency: string): string;
  /** "12 minutes ago", "in 3 hours": relative to `now`. */
  ago(value: Date | number | string, now?: number): string;
}

/**
 * Plural messages are `category:text` pairs separated by `|`
 * (`one:{count} workspace|other:{count} workspaces`), chosen by
 * Intl.PluralRules of the language for the `count` parameter. A template
 * without `|` is the same for every count (Chinese).
 */
function choosePlural(template: string, count: unknown, rules: Intl.PluralRules): string {
  if (!template.includes('|')) return template;
  const forms = new Map(
    template.split('|').map((part) => {
      const at = part.indexOf(':');
      return [part.slice(0, at), part.slice(at + 1)] as const;
    }),
  );
  const n = typeof count === 'number' ? count : Number(count);
  const exact = forms.get(`=${n}`);
  if (exact !== undefined) return exact;
  return forms.get(rules.select(n)) ?? forms.get('other') ?? template;
}

const relativeUnits: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

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
  const plurals = new Intl.PluralRules(locale);
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const i18n: I18n = {
    locale,
    t(key, params) {
      const template = choosePlural(catalog[key] ?? en[key], params?.count, plurals);
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
    price: (amount, currency) =>
      new Intl.NumberFormat(locale, {
        style: 'currency',
        currency,
        maximumFractionDigits: 10,
      }).format(amount),
    ago(value, now = Date.now()) {
      const ms = new Date(value).getTime() - now;
      for (const [unit, size] of relativeUnits)
        if (Math.abs(ms) >= size) return relative.format(Math.round(ms / size), unit);
      return relative.format(0, 'minute');
    },
  };
  cache.set(locale, i18n);
  return i18n;
}

export type { MessageKey };
