/**
 * At most `limit` tasks run at once; the others wait in arrival order. Used where a task holds a scarce shared
 * resource, e.g. password hashing, which would otherwise take every thread of libuv's pool from the database's file
 * I/O.
 */
export class Semaphore {
  private running = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`a semaphore needs a limit of at least 1, got ${limit}`);
  }

  /** Tasks running now. */
  get active(): number {
    return this.running;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, so `running` never dips below what is really running.
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
