import type { PriceView } from '../../metering/price-schema';
import type { FormProblem } from '../forms/form-problem';
import type { I18n, MessageKey } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote, firstInvalid, invalidMark } from './form-problem';

/** Each price field, its label and its unit (both translated: "内存（每 GiB·小时）"). */
const amounts: [keyof PriceView & string, MessageKey, MessageKey][] = [
  ['cpuPerCoreHour', 'metering.cpu', 'unit.coreHour'],
  ['memoryPerGiBHour', 'metering.memory', 'unit.gibHour'],
  ['ingressPerGiB', 'metering.netIn', 'unit.gib'],
  ['egressPerGiB', 'metering.netOut', 'unit.gib'],
  ['pvcPerGiBHour', 'metering.storage', 'unit.gibHour'],
];

/**
 * A new platform price (PUT /api/v1/metering/prices), from the next whole
 * hour unless a time is given; prefilled with the price shown above it.
 */
export function PriceForm({
  i18n,
  csrf,
  current,
  problem,
}: {
  i18n: I18n;
  csrf: string;
  current: PriceView | undefined;
  problem: FormProblem | undefined;
}) {
  const { t } = i18n;
  const value = (field: string) =>
    problem?.values[field] ??
    (current
      ? String(current[field as keyof PriceView] ?? '')
      : field === 'currency'
        ? 'USD'
        : '0');
  // Every field with a problem is marked; the first gets autofocus (the browser scrolls to it).
  const invalid = (field: string) => invalidMark(problem, 'price', field);
  const focus = (field: string) => firstInvalid(problem, 'price', field);
  return (
    <details open={problem ? true : undefined}>
      <summary>{t('price.new')}</summary>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      <form method="post" action="/ui/metering/prices">
        <Csrf token={csrf} />
        <label for="pr-currency">{t('price.currency')}</label>
        <input
          id="pr-currency"
          name="currency"
          required
          maxlength={3}
          autocomplete="off"
          value={value('currency')}
          aria-invalid={invalid('currency')}
          autofocus={focus('currency')}
        />
        {amounts.map(([field, label, unit]) => (
          <>
            <label for={`pr-${field}`}>
              {t(label)} ({t(unit)})
            </label>
            <input
              id={`pr-${field}`}
              name={field}
              required
              inputmode="decimal"
              maxlength={32}
              value={value(field)}
              aria-invalid={invalid(field)}
              autofocus={focus(field)}
            />
          </>
        ))}
        <label for="pr-from">{t('price.from')}</label>
        <input
          id="pr-from"
          name="effectiveFrom"
          type="datetime-local"
          step={3600}
          value={problem?.values.effectiveFrom ?? ''}
          aria-invalid={invalid('effectiveFrom')}
          autofocus={focus('effectiveFrom')}
        />
        <p>
          <button type="submit">{t('price.submit')}</button>
        </p>
      </form>
    </details>
  );
}
