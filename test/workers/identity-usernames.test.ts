import { describe, expect, it } from 'vitest';
import { encodeFilter, escapeFilterValue } from '../../functions/identity/ldap/filter';
import { candidateUsernames, normaliseUsername } from '../../functions/identity/usernames';
import { decodeFilterForTest } from './support/identity-ber';

describe('username normalisation', () => {
  it('maps provider names with _, . and mixed case to DNS-1123 labels', () => {
    expect(normaliseUsername('Alice_Smith.ops')).toBe('alice-smith-ops');
    expect(normaliseUsername('JDoe@Corp.example')).toBe('jdoe-corp-example');
    expect(normaliseUsername('__José__')).toBe('jose');
    expect(normaliseUsername('---')).toBe('user');
    expect(normaliseUsername('a'.repeat(80))).toHaveLength(63);
    expect(normaliseUsername(`${'a'.repeat(62)}_b`)).toBe('a'.repeat(62));
  });

  it('adds a deterministic suffix from (provider, external id) as the second choice', async () => {
    const first = await candidateUsernames('Bob', 'corp', 'id-1');
    expect(first[0]).toBe('bob');
    expect(first[1]).toMatch(/^bob-[0-9a-f]{6}$/);
    expect(await candidateUsernames('Bob', 'corp', 'id-1')).toEqual(first);
    expect((await candidateUsernames('Bob', 'corp', 'id-2'))[1]).not.toBe(first[1]);
    // Reserved names are never handed out as is.
    const reserved = await candidateUsernames('admin', 'corp', 'x');
    expect(reserved).toHaveLength(1);
    expect(reserved[0]).toMatch(/^admin-[0-9a-f]{6}$/);
    expect((await candidateUsernames('z'.repeat(70), 'corp', 'x'))[1]?.length).toBeLessThanOrEqual(
      63,
    );
  });
});

describe('LDAP filters', () => {
  it('escapes user input so it cannot change the filter', () => {
    expect(escapeFilterValue('a*)(uid=*')).toBe('a\\2a\\29\\28uid=\\2a');
  });

  it('encodes RFC 4515 filters as RFC 4511 BER', () => {
    expect(decodeFilterForTest(encodeFilter('(uid=bob)'))).toEqual({ eq: ['uid', 'bob'] });
    expect(
      decodeFilterForTest(encodeFilter('(&(objectClass=person)(|(uid=b\\2a)(cn=*)))')),
    ).toEqual({
      and: [{ eq: ['objectClass', 'person'] }, { or: [{ eq: ['uid', 'b*'] }, { present: 'cn' }] }],
    });
    expect(decodeFilterForTest(encodeFilter('(!(cn=a*b*c))'))).toEqual({
      not: { sub: ['cn', ['initial', 'a'], ['any', 'b'], ['final', 'c']] },
    });
    for (const bad of ['(uid=bob', 'uid=bob)', '(&(uid=a)', '(uid=\\zz)', '(!(a=b)(c=d))'])
      expect(() => encodeFilter(bad), bad).toThrow();
  });
});
