import {
  type DegradedResource,
  MAX_DEGRADED_REASON,
  MAX_DEGRADED_RESOURCES,
} from '../functions/tunnel/inventory';

/**
 * The resources this replica cannot read right now, each set by the reader
 * that tried (an informer, the metrics sampler, the /version probe) and
 * cleared by it once a read succeeds. Several readers of one resource
 * (inventory and quota pods) show once.
 */
export class DegradedRegistry {
  readonly #entries = new Map<string, DegradedResource>();
  readonly #listeners = new Set<() => void>();

  /** `reason` undefined: the reader `key` reads `resource` fine (again). */
  set(key: string, resource: string, reason: string | undefined): void {
    const current = this.#entries.get(key);
    if (reason === undefined) {
      if (!current) return;
      this.#entries.delete(key);
    } else {
      const trimmed = reason.slice(0, MAX_DEGRADED_REASON);
      if (current?.resource === resource && current.reason === trimmed) return;
      this.#entries.set(key, { resource, reason: trimmed });
    }
    for (const listener of this.#listeners) listener();
  }

  /** A reporter bound to one reader. */
  reporter(key: string, resource: string): (reason: string | undefined) => void {
    return (reason) => this.set(key, resource, reason);
  }

  list(): DegradedResource[] {
    const byResource = new Map<string, DegradedResource>();
    for (const entry of this.#entries.values())
      if (!byResource.has(entry.resource)) byResource.set(entry.resource, entry);
    return [...byResource.values()]
      .sort((a, b) => a.resource.localeCompare(b.resource))
      .slice(0, MAX_DEGRADED_RESOURCES);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
