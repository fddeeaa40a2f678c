import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import type { JsonLogger } from '@app/common';

/**
 * How long shutdown waits for a run to reach the end of its batch. A run is resumable, so one stuck on a database
 * that stopped answering (the driver waits 30 s to select a server) is left behind rather than holding the close.
 */
export const SHUTDOWN_WAIT_MS = 2_000;

/**
 * A backfill run at start-up, off the request path: started once the app is up, it runs in the background (a
 * failure is logged; it runs again at the next start), and shutdown waits for it to stop between two batches. With
 * `repeatMs` it runs again that long after each run ended, until shutdown. Shutdown waits SHUTDOWN_WAIT_MS at most.
 */
export abstract class StartupBackfill implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: Promise<unknown> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Set at shutdown: `run` stops before its next batch. */
  protected stopped = false;

  protected constructor(
    protected readonly logger: JsonLogger,
    private readonly what: string,
    private readonly repeatMs?: number,
  ) {}

  /** Runs the backfill to its end (or until shutdown); how many documents it wrote. */
  abstract run(): Promise<number>;

  onApplicationBootstrap(): void {
    this.timer = null;
    this.running = this.run()
      .catch((err: unknown) =>
        this.logger.warn(`${this.what} stopped; it runs again at the next ${this.repeatMs ? 'run' : 'start'}`, {
          error: err instanceof Error ? err.message : String(err),
        }),
      )
      .finally(() => {
        if (this.stopped || !this.repeatMs) return;
        this.timer = setTimeout(() => this.onApplicationBootstrap(), this.repeatMs);
        this.timer.unref();
      });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, SHUTDOWN_WAIT_MS);
      }),
    ]);
    clearTimeout(waited);
  }

  /**
   * Runs `step` over the documents in id order, `size` at a time, each batch going on after the last one's id,
   * pausing between batches: to its end (`done`) or until shutdown stops it first. `total`: documents written.
   */
  protected async inBatches(
    step: (after: string | null, size: number) => Promise<{ updated: number; last: string | null }>,
    size: number,
  ): Promise<{ total: number; done: boolean }> {
    let after: string | null = null;
    let total = 0;
    while (!this.stopped) {
      const batch = await step(after, size);
      if (batch.last === null) return { total, done: true };
      total += batch.updated;
      after = batch.last;
      await this.pause();
    }
    return { total, done: false };
  }

  /** Lets requests in between batches. */
  protected pause(): Promise<void> {
    return new Promise<void>((resolve) => setImmediate(resolve));
  }
}
