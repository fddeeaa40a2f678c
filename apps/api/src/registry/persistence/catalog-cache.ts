/** How many catalog answers a node keeps at most; the least recently used goes first. */
export const CATALOG_CACHE_SIZE = 2000;

interface Entry<T> {
  generation: number;
  value: Promise<T>;
}

/**
 * Answers of catalog reads by query, each kept for the write-epoch generation it was read at (registry-epoch.ts):
 * an answer of an older generation is never given. Concurrent reads of one query share one database read; a read
 * that fails is not kept.
 */
export class CatalogCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Reads answered from a kept answer, and reads that asked the database (a bench's figures). */
  hits = 0;
  misses = 0;

  constructor(private readonly size = CATALOG_CACHE_SIZE) {}

  /** The answer to `key` at `generation`: the kept one, or `read()`'s, which is then kept. */
  get(key: string, generation: number, read: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    // A read tagged before a newer kept answer asks the database and keeps nothing.
    if (hit && hit.generation > generation) {
      this.misses++;
      return read();
    }
    this.entries.delete(key);
    if (hit && hit.generation === generation) {
      this.hits++;
      this.entries.set(key, hit);
      return hit.value;
    }
    this.misses++;
    const entry: Entry<T> = { generation, value: read() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    return entry.value;
  }

  get count(): number {
    return this.entries.size;
  }
}
