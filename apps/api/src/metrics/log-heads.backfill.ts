import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock, JsonLogger } from '@app/common';
import { BackfillMarkRepository } from './persistence/backfill-mark.repository.js';
import { PluginLogRepository } from './persistence/plugin-log.repository.js';

const NAME = 'plugin_log_word_heads';
const BATCH = 1000;

/**
 * At start-up, off the request path: log lines stored before searches looked lines up by their word heads get
 * theirs, a batch of BATCH at a time, so a search with a word finds them too. Idempotent and resumable: a line
 * with heads is never written again, a run cut short (shutdown, failure) starts again at the next start-up, and
 * one that reached the end is marked and not run again.
 */
@Injectable()
export class LogHeadsBackfill implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: Promise<unknown> | null = null;
  private stopped = false;
  private readonly logger: JsonLogger;

  constructor(
    private readonly logs: PluginLogRepository,
    private readonly marks: BackfillMarkRepository,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('LogHeadsBackfill');
  }

  onApplicationBootstrap(): void {
    this.running = this.run().catch((err: unknown) =>
      this.logger.warn('Word-head backfill stopped; it runs again at the next start', {
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Runs the backfill to its end (or until shutdown); the number of lines given heads. */
  async run(): Promise<number> {
    if (await this.marks.isDone(NAME)) return 0;
    let after: string | null = null;
    let total = 0;
    while (!this.stopped) {
      const batch = await this.logs.addMissingHeads(after, BATCH);
      if (batch.last === null) {
        await this.marks.markDone(NAME, this.clock.now());
        if (total > 0) this.logger.info('Word-head backfill done', { lines: total });
        return total;
      }
      total += batch.updated;
      after = batch.last;
      // Let requests in between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.logger.info('Word-head backfill paused by shutdown', { lines: total });
    return total;
  }
}
