/**
 * Deduplicates repeated strings (namespace, node, owner and phase names):
 * JSON.parse makes a fresh copy of each for every object, and 150,000 pods
 * share a few thousand of them.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();

  intern(value: string): string {
    const existing = this.pool.get(value);
    if (existing !== undefined) return existing;
    this.pool.set(value, value);
    return value;
  }

  get size(): number {
    return this.pool.size;
  }
}
