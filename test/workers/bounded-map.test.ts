import { describe, expect, it } from 'vitest';
import { boundedMap } from '../../functions/net/bounded-map';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('boundedMap', () => {
  it('keeps at most `limit` calls in flight and the results in order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await boundedMap([5, 1, 4, 2, 3, 0, 6], 3, async (n, i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      for (let k = 0; k < n; k++) await tick();
      inFlight--;
      return `${i}:${n}`;
    });
    expect(most).toBe(3);
    expect(out).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:0', '6:6']);
  });

  it('handles fewer items than the limit, and none', async () => {
    expect(await boundedMap([1, 2], 6, async (n) => n * 2)).toEqual([2, 4]);
    expect(await boundedMap([], 6, async (n: number) => n)).toEqual([]);
  });

  it('rejects when a call rejects', async () => {
    await expect(
      boundedMap([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }),
    ).rejects.toThrow('two');
  });
});
