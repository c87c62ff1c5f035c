import { describe, expect, it } from 'vitest';
import { ListBodyParser } from '../../agents/list-parser';

const list = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '42', continue: 'eyJ9"items":[', remainingItemCount: 3 },
  items: [
    {
      metadata: { name: 'a', annotations: { tricky: '}]{["\\"items\\":[' } },
      spec: { containers: [{ name: 'c' }] },
    },
    { metadata: { name: 'ünïcödé-☃' }, status: { phase: 'Running' } },
    { metadata: { name: 'c' }, data: [[1, 2], { nested: [] }] },
  ],
};

function parse(chunks: Uint8Array[]) {
  const items: unknown[] = [];
  const parser = new ListBodyParser((item) => items.push(item));
  for (const chunk of chunks) parser.push(chunk);
  return { items, rest: parser.end() };
}

describe('ListBodyParser', () => {
  it('yields each item and the list without items, however the bytes are split', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(list, null, 1));
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const { items, rest } = parse([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(items).toEqual(list.items);
      expect(rest).toEqual({ ...list, items: [] });
    }
    const byteByByte = parse([...bytes].map((b) => Uint8Array.of(b)));
    expect(byteByByte.items).toEqual(list.items);
  });

  it('handles metadata after the items and empty lists', () => {
    const reordered = `{"items":[{"a":1}],"metadata":{"resourceVersion":"7"},"kind":"X"}`;
    const { items, rest } = parse([new TextEncoder().encode(reordered)]);
    expect(items).toEqual([{ a: 1 }]);
    expect(rest).toEqual({ items: [], metadata: { resourceVersion: '7' }, kind: 'X' });
    expect(parse([new TextEncoder().encode('{"metadata":{},"items":[]}')]).items).toEqual([]);
  });

  it('refuses a truncated body', () => {
    const parser = new ListBodyParser(() => {});
    parser.push(new TextEncoder().encode('{"metadata":{},"items":[{"a":'));
    expect(() => parser.end()).toThrow('list body ended early');
  });
});
