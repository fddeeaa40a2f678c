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
