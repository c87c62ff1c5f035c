import type { RequestFrame } from '../../../protocol/tunnel';
import type { TestAgent } from './agent-socket';

export interface Answer {
  status: number;
  body?: unknown;
}

/**
 * Answers every proxied request the edge sends `agent` with `answer(frame)`
 * (a JSON body, or a string as is) until stopped; `seen` keeps the frames,
 * oldest first. Requests come concurrently (a dashboard runs its panels in
 * parallel), so this runs as a loop beside the test.
 */
export function serveRequests(agent: TestAgent, answer: (frame: RequestFrame) => Answer) {
  const seen: RequestFrame[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let frame: RequestFrame;
      try {
        frame = (await agent.nextOf('request', 100)) as RequestFrame;
      } catch {
        continue;
      }
      seen.push(frame);
      const reply = answer(frame);
      await agent.send({
        type: 'response',
        id: frame.id,
        status: reply.status,
        headers: [['content-type', 'application/json']],
      });
      if (reply.body !== undefined)
        await agent.sendData(
          frame.id,
          typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
        );
      await agent.send({ type: 'end', id: frame.id });
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The query parameters of a proxied request's path. */
export const paramsOf = (frame: RequestFrame) =>
  new URL(frame.path, 'http://cluster.invalid').searchParams;

/** A Prometheus matrix answer with one series per labels set. */
export const matrix = (
  series: { metric: Record<string, string>; values: [number, string][] }[],
) => ({
  status: 'success',
  data: { resultType: 'matrix', result: series },
});

/** A Prometheus vector answer. */
export const vector = (series: { metric: Record<string, string>; value: [number, string] }[]) => ({
  status: 'success',
  data: { resultType: 'vector', result: series },
});
