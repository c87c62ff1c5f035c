/** Jittered exponential backoff ("full jitter" over an exponentially growing cap). */
export interface Backoff {
  next(): number;
  reset(): void;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random?: () => number;
}

export function createBackoff({ initialMs, maxMs, random = Math.random }: BackoffOptions): Backoff {
  let attempt = 0;
  return {
    next() {
      const cap = Math.min(maxMs, initialMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      // Half fixed, half random: never a zero wait, still spreads replicas apart.
      return Math.round(cap / 2 + random() * (cap / 2));
    },
    reset() {
      attempt = 0;
    },
  };
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
