import { describe, expect, it } from 'vitest';
import { OutboundStream, type StreamOutput } from '../../agents/tunnel-stream';

/** Flushes synchronously, so each step's effect is visible at once. */
const now = (flush: () => void) => flush();

function recorder() {
  const sent: number[] = [];
  const events: string[] = [];
  const out: StreamOutput = {
    data: (pieces) => sent.push(pieces.reduce((n, p) => n + p.byteLength, 0)),
    end: () => events.push('end'),
    pause: () => events.push('pause'),
    resume: () => events.push('resume'),
  };
  return { sent, events, out };
}

describe('per-stream flow control on the agent', () => {
  it('sends only what the window allows, pauses upstream, resumes on credit', () => {
    const r = recorder();
    const stream = new OutboundStream(100_000, r.out, now);
    stream.write(new Uint8Array(150_000));
    expect(r.sent).toEqual([100_000]);
    expect(stream.credit).toBe(0);
    expect(stream.queuedBytes).toBe(50_000);
    expect(r.events).toEqual(['pause']);
    stream.grant(20_000);
    expect(r.sent.at(-1)).toBe(20_000);
    expect(r.events).toEqual(['pause']);
    stream.grant(40_000);
    expect(r.sent.at(-1)).toBe(30_000);
    expect(r.events).toEqual(['pause', 'resume']);
    expect(stream.credit).toBe(10_000);
  });

  it('sends END only after the queue drained', () => {
    const r = recorder();
    const stream = new OutboundStream(10, r.out, now);
    stream.write(new Uint8Array(25));
    stream.end();
    expect(r.events).toEqual(['pause']);
    stream.grant(10);
    expect(r.events).toEqual(['pause']);
    stream.grant(10);
    expect(r.events).toEqual(['pause', 'end']);
    expect(stream.finished).toBe(true);
    expect(r.sent.reduce((a, b) => a + b, 0)).toBe(25);
  });

  it('a stalled stream does not hold back another one', () => {
    const slow = recorder();
    const fast = recorder();
    const a = new OutboundStream(1000, slow.out, now);
    const b = new OutboundStream(1000, fast.out, now);
    a.write(new Uint8Array(5000)); // its reader never grants more
    for (let i = 0; i < 10; i++) {
      b.write(new Uint8Array(500));
      b.grant(500); // its reader keeps up
    }
    b.end();
    expect(slow.sent.reduce((x, y) => x + y, 0)).toBe(1000);
    expect(fast.sent.reduce((x, y) => x + y, 0)).toBe(5000);
    expect(fast.events).toContain('end');
  });

  it('coalesces the chunks of one I/O phase into one frame', async () => {
    const r = recorder();
    const stream = new OutboundStream(1 << 20, r.out);
    for (let i = 0; i < 10; i++) stream.write(new Uint8Array(1000));
    stream.end();
    expect(r.sent).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.sent).toEqual([10_000]);
    expect(r.events).toEqual(['end']);
  });

  it('abandon drops queued bytes and sends nothing more', () => {
    const r = recorder();
    const stream = new OutboundStream(10, r.out, now);
    stream.write(new Uint8Array(30));
    stream.abandon();
    stream.grant(100);
    stream.end();
    expect(r.sent).toEqual([10]);
    expect(r.events).toEqual(['pause']);
  });
});
