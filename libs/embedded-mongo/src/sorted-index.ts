/** An ordered multiset kept in chunks (a flat two-level B-tree): O(log n) search, cheap inserts at 100k+ entries. */

const MAX_CHUNK = 512;

export interface Cursor {
  c: number;
  i: number;
}

export class SortedIndex<E> {
  private chunks: E[][] = [];
  size = 0;

  constructor(private readonly cmp: (a: E, b: E) => number) {}

  insert(e: E): void {
    this.size++;
    if (this.chunks.length === 0) {
      this.chunks.push([e]);
      return;
    }
    let c = this.chunkFor((x) => this.cmp(x, e) < 0);
    if (c === this.chunks.length) c--;
    const chunk = this.chunks[c];
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(chunk[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    chunk.splice(lo, 0, e);
    if (chunk.length > MAX_CHUNK * 2) this.chunks.splice(c, 1, chunk.slice(0, MAX_CHUNK), chunk.slice(MAX_CHUNK));
  }

  /** Removes one entry comparing equal to `e`; returns whether one was found. */
  remove(e: E): boolean {
    const pos = this.lowerBound((x) => this.cmp(x, e) < 0);
    const chunk = this.chunks[pos.c];
    if (!chunk || this.cmp(chunk[pos.i], e) !== 0) return false;
    chunk.splice(pos.i, 1);
    if (chunk.length === 0) this.chunks.splice(pos.c, 1);
    this.size--;
    return true;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  /** First chunk whose last entry is not "before"; chunks.length when none. */
  private chunkFor(isBefore: (e: E) => boolean): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid];
      if (isBefore(chunk[chunk.length - 1])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the first entry for which `isBefore` is false (entries must be partitioned by it). */
  lowerBound(isBefore: (e: E) => boolean): Cursor {
    const c = this.chunkFor(isBefore);
    if (c === this.chunks.length) return { c, i: 0 };
    const chunk = this.chunks[c];
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isBefore(chunk[mid])) lo = mid + 1;
      else hi = mid;
    }
    return { c, i: lo };
  }

  /** How many entries lie before `pos`: its rank in the whole index. */
  private rankOf(pos: Cursor): number {
    let n = pos.i;
    for (let c = 0; c < pos.c && c < this.chunks.length; c++) n += this.chunks[c].length;
    return n;
  }

  /**
   * How many entries are neither before nor after a range (both predicates partition the entries), found by two
   * binary searches and the chunk sizes between them, without visiting the entries.
   */
  count(isBefore: (e: E) => boolean, isAfter: (e: E) => boolean): number {
    const from = this.rankOf(this.lowerBound(isBefore));
    const to = this.rankOf(this.lowerBound((e) => !isAfter(e)));
    return Math.max(0, to - from);
  }

  /** Entries from the first not-before entry onward, while `inRange` holds. */
  *scan(isBefore: (e: E) => boolean, inRange: (e: E) => boolean): Generator<E> {
    const pos = this.lowerBound(isBefore);
    for (let c = pos.c, i = pos.i; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c];
      for (; i < chunk.length; i++) {
        if (!inRange(chunk[i])) return;
        yield chunk[i];
      }
    }
  }

  /** Entries backwards from the last entry that is not after the range, while `inRange` holds. */
  *scanReverse(isAfter: (e: E) => boolean, inRange: (e: E) => boolean): Generator<E> {
    // The first "after" entry bounds the range; walk backwards from just before it.
    const pos = this.lowerBound((e) => !isAfter(e));
    let c = pos.c;
    let i = pos.i - 1;
    if (c === this.chunks.length) {
      c = this.chunks.length - 1;
      i = c >= 0 ? this.chunks[c].length - 1 : -1;
    }
    for (; c >= 0; c--, i = c >= 0 ? this.chunks[c].length - 1 : -1) {
      const chunk = this.chunks[c];
      for (; i >= 0; i--) {
        if (!inRange(chunk[i])) return;
        yield chunk[i];
      }
    }
  }

  *all(): Generator<E> {
    for (const chunk of this.chunks) yield* chunk;
  }
}
