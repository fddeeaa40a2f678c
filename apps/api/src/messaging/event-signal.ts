/**
 * Wakes whoever waits for news (streams, the dispatcher) at once; a wake with nobody waiting is not kept, so a
 * waiter takes its ticket before it looks at the state it waits on.
 */
export class EventSignal {
  private waiters = new Set<() => void>();

  /** A ticket resolved by the next `wake`; `cancel` drops it (a closed stream). */
  ticket(): { wait: Promise<void>; cancel: () => void } {
    let wake!: () => void;
    const wait = new Promise<void>((resolve) => (wake = resolve));
    this.waiters.add(wake);
    return {
      wait,
      cancel: () => {
        this.waiters.delete(wake);
        wake();
      },
    };
  }

  wake(): void {
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }
}

/** Past this many subscribers a wake no longer names them (the dispatcher looks at every one it hosts). */
export const MAX_NAMED_SUBSCRIBERS = 1000;

/**
 * The dispatchers' signal: a wake may name the subscribers deliveries were queued for, so a dispatcher looks at
 * those (and what it already knew had pending deliveries) instead of at every installation it hosts. A wake that
 * names none (a replay, another node's broadcast without names) means: any of them.
 */
export class QueueSignal extends EventSignal {
  /** Named since the last `take`; null: someone woke without names. */
  private named: Set<string> | null = null;

  /** Wakes the waiters; `subscribers`: for whom deliveries were queued (omitted: unknown). */
  override wake(subscribers?: Iterable<string>): void {
    if (subscribers === undefined) this.named = null;
    else if (this.named !== null) for (const id of subscribers) this.named.add(id);
    if (this.named !== null && this.named.size > MAX_NAMED_SUBSCRIBERS) this.named = null;
    super.wake();
  }

  /** The subscribers named since the last take (null: any may have deliveries), and forgets them. */
  take(): Set<string> | null {
    const named = this.named;
    this.named = new Set();
    return named;
  }
}
