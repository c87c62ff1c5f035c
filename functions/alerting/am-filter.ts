import type { LabelMatcher, MatchOp } from '../../db/schema/notification-receivers';
import { badRequest } from '../errors';
import { isValidPattern } from './labels';

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
  if ((op === '=~' || op === '!~') && !isValidPattern(value))
    throw badRequest(`Invalid regular expression in matcher "${text}".`);
  return { name: m[1] ?? '', op, value };
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
