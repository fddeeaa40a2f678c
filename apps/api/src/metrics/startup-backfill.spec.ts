import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JsonLogger } from '@app/common';
import { SHUTDOWN_WAIT_MS, StartupBackfill } from './startup-backfill.js';

class Gated extends StartupBackfill {
  release!: () => void;
  readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  constructor() {
    super({ warn: vi.fn(), info: vi.fn() } as unknown as JsonLogger, 'gated');
  }
  async run(): Promise<number> {
    await this.gate;
    return 0;
  }
}

describe('StartupBackfill', () => {
  afterEach(() => vi.useRealTimers());

  it('shutdown waits for a run that ends in time', async () => {
    const job = new Gated();
    job.onApplicationBootstrap();
    let closed = false;
    const closing = job.beforeApplicationShutdown().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    job.release();
    await closing;
    expect(closed).toBe(true);
  });

  it('shutdown leaves a run stuck on its database behind after SHUTDOWN_WAIT_MS', async () => {
    vi.useFakeTimers();
    const job = new Gated();
    job.onApplicationBootstrap();
    let closed = false;
    const closing = job.beforeApplicationShutdown().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(SHUTDOWN_WAIT_MS - 1);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(closed).toBe(true);
    job.release();
  });
});
