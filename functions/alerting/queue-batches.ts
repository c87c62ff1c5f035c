/** Cloudflare Queues: at most 100 messages and 256 KB per sendBatch. */
export const QUEUE_BATCH_MESSAGES = 100;
export const QUEUE_BATCH_BYTES = 256_000;
/** Room left in a batch for each message's envelope (content type, delay). */
const ENVELOPE_BYTES = 100;

const encoder = new TextEncoder();

/** The UTF-8 size of a value as a JSON queue message body. */
export const jsonBytes = (body: unknown): number => encoder.encode(JSON.stringify(body)).byteLength;

/**
 * Splits JSON message bodies into sendBatch-sized requests, in order: full
 * batches of 100 where the bodies are small, fewer where they are large
 * (a body alone is below the 128 KB message cap by construction).
 */
export function queueBatches<T>(bodies: T[]): MessageSendRequest<T>[][] {
  const batches: MessageSendRequest<T>[][] = [];
  let current: MessageSendRequest<T>[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = jsonBytes(body) + ENVELOPE_BYTES;
    if (
      current.length > 0 &&
      (current.length === QUEUE_BATCH_MESSAGES || bytes + size > QUEUE_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push({ body, contentType: 'json' });
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
