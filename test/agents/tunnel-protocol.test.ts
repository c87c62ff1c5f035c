import { describe, expect, it } from 'vitest';
import {
  chunks,
  decodeFrame,
  encodeControl,
  encodeData,
  isStrippedRequestHeader,
  MAX_FRAME_BYTES,
  negotiateVersion,
  PROTOCOL_VERSION,
} from '../../protocol/tunnel';

describe('tunnel protocol codec', () => {
  it('round-trips control frames', () => {
    const frame = {
      type: 'request' as const,
      id: 42,
      target: 'kube' as const,
      method: 'GET' as const,
      path: '/api/v1/pods?watch=true',
      headers: [['accept', 'application/json']] as [string, string][],
      impersonate: { user: 'alice', groups: ['devs'] },
      body: false,
      window: 65536,
    };
    expect(decodeFrame(encodeControl(frame))).toEqual({ ok: true, frame });
  });

  it('round-trips DATA frames as binary with the stream id in the header', () => {
    const payload = new TextEncoder().encode('hello');
    const encoded = encodeData(0xfffffffe, payload);
    expect(encoded[0]).toBe(1);
    const decoded = decodeFrame(encoded);
    expect(decoded.ok && decoded.frame).toEqual({ type: 'data', id: 0xfffffffe, payload });
    // An ArrayBuffer (what workerd hands over) decodes the same.
    const viaBuffer = decodeFrame(encoded.slice().buffer);
    expect(viaBuffer.ok && viaBuffer.frame.type).toBe('data');
  });

  it('reports malformed JSON, non-objects, missing type and bad fields without throwing', () => {
    expect(decodeFrame('{nope')).toMatchObject({ ok: false, code: 'malformed' });
    expect(decodeFrame('[1,2]')).toMatchObject({ ok: false, code: 'malformed' });
    expect(decodeFrame('null')).toMatchObject({ ok: false, code: 'malformed' });
    expect(decodeFrame('{"id":3}')).toMatchObject({ ok: false, code: 'malformed', id: 3 });
    expect(decodeFrame('{"type":"window","id":5,"bytes":-1}')).toMatchObject({
      ok: false,
      code: 'malformed',
      id: 5,
    });
    expect(
      decodeFrame(
        '{"type":"request","id":1,"target":"etcd","method":"GET","path":"/","headers":[],"body":false,"window":1}',
      ),
    ).toMatchObject({ ok: false, code: 'malformed' });
    expect(
      decodeFrame(
        '{"type":"request","id":1,"target":"kube","method":"GET","path":"no-slash","headers":[],"body":false,"window":1}',
      ),
    ).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('reports unknown frame types (text and binary) as unknown_type', () => {
    expect(decodeFrame('{"type":"teleport","id":9}')).toMatchObject({
      ok: false,
      code: 'unknown_type',
      id: 9,
    });
    expect(decodeFrame(new Uint8Array([7, 0, 0, 0, 1]))).toMatchObject({
      ok: false,
      code: 'unknown_type',
    });
  });

  it('refuses short binary frames, stream id 0 and oversized frames', () => {
    expect(decodeFrame(new Uint8Array([1, 0, 0]))).toMatchObject({ ok: false, code: 'malformed' });
    expect(decodeFrame(new Uint8Array([1, 0, 0, 0, 0]))).toMatchObject({
      ok: false,
      code: 'malformed',
    });
    expect(decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      code: 'too_large',
    });
    expect(decodeFrame('x'.repeat(MAX_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      code: 'too_large',
    });
  });

  it('validates inventory payloads', () => {
    const ok = decodeFrame(
      JSON.stringify({
        type: 'inventory',
        update: { type: 'delta', seq: 2, nodes: { upserts: [], deletes: ['a'] } },
      }),
    );
    expect(ok.ok).toBe(true);
    const bad = decodeFrame(
      JSON.stringify({
        type: 'inventory',
        update: { type: 'delta', seq: 2, nodes: { upserts: [{ name: 1 }], deletes: [] } },
      }),
    );
    expect(bad).toMatchObject({ ok: false, code: 'malformed' });
  });

  it('negotiates the highest common version', () => {
    expect(negotiateVersion([PROTOCOL_VERSION, 99])).toBe(PROTOCOL_VERSION);
    expect(negotiateVersion([99])).toBeUndefined();
  });

  it('splits bodies into bounded chunks without copying', () => {
    const body = new Uint8Array(150_000);
    const parts = [...chunks(body, 64 * 1024)];
    expect(parts.map((p) => p.byteLength)).toEqual([65536, 65536, 18928]);
    expect(parts[0]!.buffer).toBe(body.buffer);
  });

  it('strips credentials and impersonation headers of callers', () => {
    for (const name of [
      'Authorization',
      'impersonate-user',
      'Impersonate-Group',
      'Impersonate-Extra-Scopes',
      'cookie',
      'Host',
    ])
      expect(isStrippedRequestHeader(name)).toBe(true);
    for (const name of ['accept', 'content-type', 'user-agent'])
      expect(isStrippedRequestHeader(name)).toBe(false);
  });
});
