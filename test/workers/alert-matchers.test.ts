import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import {
  compileMatchers,
  isValidPattern,
  regexProblem,
  valueTest,
} from '../../functions/alerting/matchers';

/** What Alertmanager does: Go's regexp (RE2) on `^(?:pattern)$`. */
const alertmanager = (pattern: string, value: string) =>
  RE2JS.compile(`^(?:${pattern})$`).test(value);

describe('regex matchers', () => {
  it('agree with RE2 on ^(?:re)$, fast paths included', () => {
    const patterns = [
      'foo',
      'foo|bar',
      'a||b',
      '',
      '.*',
      '.+',
      'team-.*',
      '.*-web',
      '.*web.*',
      '.*.*',
      'a.*b',
      '(?i)foo',
      '(?i)FOO.*',
      'web-[0-9]+-.*',
      '\\pL+',
      '(?s).*',
      'x|y.*',
      'ünï.*',
      'a b',
      '#',
    ];
    const values = [
      '',
      'foo',
      'FOO',
      'xfoox',
      'bar',
      'foobar',
      'team-a',
      'team-',
      'team-a\nb',
      'a-web',
      '\n-web',
      'my-web-1',
      'web-12-abc',
      'web--abc',
      'ab',
      'a\nb',
      'ünïcode',
      'a b',
      '#',
      'y\n',
      'y',
      'x',
    ];
    for (const pattern of patterns) {
      const test = valueTest({ name: 'l', op: '=~', value: pattern });
      const negated = valueTest({ name: 'l', op: '!~', value: pattern });
      for (const value of values) {
        const expected = alertmanager(pattern, value);
        expect(test(value), `${JSON.stringify(pattern)} on ${JSON.stringify(value)}`).toBe(
          expected,
        );
        expect(negated(value)).toBe(!expected);
      }
    }
  });

  it('refuses what RE2 refuses, with its reason', () => {
    expect(regexProblem('(a')).toMatch(/missing closing \)/);
    expect(isValidPattern('(?=a)')).toBe(false);
    expect(isValidPattern('(a)\\1')).toBe(false);
    expect(isValidPattern('x)|(y')).toBe(false);
    expect(isValidPattern('((.+))+#')).toBe(true);
  });

  it('a missing label is the empty string; a stored pattern RE2 refuses matches nothing', () => {
    const absent = compileMatchers([{ name: 'team', op: '=~', value: '.*' }]);
    expect(absent({})).toBe(true);
    expect(compileMatchers([{ name: 'team', op: '=', value: '' }])({ other: 'x' })).toBe(true);
    expect(compileMatchers([{ name: 'a', op: '=~', value: '(?=x)' }])({ a: 'x' })).toBe(false);
    expect(compileMatchers([{ name: 'a', op: '!~', value: '(?=x)' }])({ a: 'x' })).toBe(true);
    expect(compileMatchers([])({ a: 'x' })).toBe(true);
  });
});
