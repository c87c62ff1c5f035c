import type { LabelMatcher, MatchOp } from '../../db/schema/notification-receivers';
import { badRequest } from '../errors';
import { invalidRegex, regexProblem, valueTest } from './matchers';

const matcherPattern =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** One Alertmanager filter matcher as amtool sends it: `name="value"`, `name=~"re"`, ... */
export function parseMatcher(text: string): LabelMatcher {
  const m = matcherPattern.exec(text.replace(/^\{|\}$/g, ''));
  if (!m)
    throw badRequest(
      `Invalid matcher "${text}": use name="value", name!="v", name=~"re" or name!~"re".`,
    );
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
  const op = m[2] as MatchOp;
  if (op === '=~' || op === '!~') {
    const problem = regexProblem(value);
    if (problem !== undefined) throw invalidRegex(`in matcher ${text}`, value, problem);
  }
  return { name: m[1] ?? '', op, value };
}

/** The `filter` query parameter (one or repeated) as matchers. */
export const filterMatchers = (filter: string | string[] | undefined): LabelMatcher[] =>
  (typeof filter === 'string' ? [filter] : (filter ?? [])).map(parseMatcher);

/**
 * Alertmanager's `GET /api/v2/silences?filter=`: the filter matchers are
 * matched against the silence's own matchers read as labels (name →
 * value or pattern); a filter for an empty value also takes a silence
 * without (`=`, `=~`) or with (`!=`, `!~`) that name.
 */
export function silenceFilter(
  filters: LabelMatcher[],
): (silence: { matchers: LabelMatcher[] }) => boolean {
  const tests = filters.map((f) => ({
    filter: f,
    negative: f.op === '!=' || f.op === '!~',
    test: valueTest(f),
  }));
  return (silence) => {
    const labels = new Map(silence.matchers.map((m) => [m.name, m.value]));
    return tests.every(({ filter, negative, test }) => {
      const value = labels.get(filter.name);
      if (filter.value === '' && (value !== undefined) === negative) return true;
      return test(value ?? '');
    });
  };
}

/** Alertmanager API v2 matcher ↔ ours. */
export interface AmMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean | undefined;
}

export const fromAmMatcher = (m: AmMatcher): LabelMatcher => ({
  name: m.name,
  value: m.value,
  op: m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=',
});

export const toAmMatcher = (m: LabelMatcher): Required<AmMatcher> => ({
  name: m.name,
  value: m.value,
  isRegex: m.op === '=~' || m.op === '!~',
  isEqual: m.op === '=' || m.op === '=~',
});
