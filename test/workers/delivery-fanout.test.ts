import { describe, expect, it } from 'vitest';
import { FANOUT_WIDTH, fanoutGroups, type PushTarget } from '../../functions/delivery/controller';

const targets = (n: number): PushTarget[] =>
  Array.from({ length: n }, (_, i) => [`c${i}`, ['app']] as PushTarget);

/** Every target once, in a tree where no caller makes more than FANOUT_WIDTH calls. */
function reach(list: PushTarget[]): { reached: string[]; maxCalls: number; depth: number } {
  const groups = fanoutGroups(list);
  let maxCalls = groups.length;
  let depth = groups.length > 0 ? 1 : 0;
  const reached: string[] = [];
  for (const { head, relay } of groups) {
    reached.push(head[0]);
    const below = reach(relay);
    reached.push(...below.reached);
    maxCalls = Math.max(maxCalls, below.maxCalls);
    depth = Math.max(depth, 1 + below.depth);
  }
  return { reached, maxCalls, depth };
}

describe('delivery fan-out tree', () => {
  it.each([0, 1, 8, 9, 50, 1000])('%i clusters: each reached once, ≤ width calls each', (n) => {
    const { reached, maxCalls, depth } = reach(targets(n));
    expect(reached.sort()).toEqual(
      targets(n)
        .map(([id]) => id)
        .sort(),
    );
    expect(maxCalls).toBeLessThanOrEqual(FANOUT_WIDTH);
    expect(depth).toBeLessThanOrEqual(
      n <= 1 ? n : Math.ceil(Math.log(n) / Math.log(FANOUT_WIDTH)) + 1,
    );
  });
});
