import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger, type ScheduledJob, Scheduler } from '@app/common';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { MetricBucketRecorder } from './metric-bucket.recorder.js';
import { PluginLogRecorder } from './plugin-log.recorder.js';
import { UsageStatsRecorder } from './usage-stats.recorder.js';

/**
 * Writes what the recorders buffered, every PLUGHUB_METRICS_FLUSH_MS and once more at shutdown (after the runtime
 * has run its plugins' onCleanup), through the Scheduler: one flush at a time, the next one interval after the
 * end of the last. A failed write is logged and that interval's figures are lost: retrying a partly applied `$inc`
 * could count calls twice.
 */
@Injectable()
export class ObservationFlusher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly job: ScheduledJob<void>;
  private readonly logger: JsonLogger;

  constructor(
    private readonly buckets: MetricBucketRecorder,
    private readonly usage: UsageStatsRecorder,
    private readonly logs: PluginLogRecorder,
    @Inject(METRICS_CONFIG) config: MetricsConfig,
    scheduler: Scheduler,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('ObservationFlusher');
    this.job = scheduler.every({
      name: 'observation-flusher',
      intervalMs: config.flushIntervalMs,
      run: () => this.flushAll(),
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
    await this.flush();
  }

  /** Flushes now (waiting for a flush in progress first), so a caller sees everything recorded so far. */
  flush(): Promise<void> {
    return this.job.run();
  }

  private async flushAll(): Promise<void> {
    const parts: Array<[string, () => Promise<void>]> = [
      ['metric buckets', () => this.buckets.flush()],
      ['usage stats', () => this.usage.flush()],
      ['plugin logs', () => this.logs.flush()],
    ];
    for (const [name, flush] of parts) {
      try {
        await flush();
      } catch (err) {
        this.logger.error('Flush failed; the figures of this interval are lost', {
          part: name,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
