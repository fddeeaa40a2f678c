import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { MetricBucketRecorder } from './metric-bucket.recorder.js';
import { PluginLogRecorder } from './plugin-log.recorder.js';
import { UsageStatsRecorder } from './usage-stats.recorder.js';

/**
 * Writes what the recorders buffered, every PLUGHUB_METRICS_FLUSH_MS and once more at shutdown (after the runtime
 * has run its plugins' onCleanup). One flush at a time; a tick that finds one running is skipped. A failed write
 * is logged and that interval's figures are lost: retrying a partly applied `$inc` could count calls twice.
 */
@Injectable()
export class ObservationFlusher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private readonly logger: JsonLogger;

  constructor(
    private readonly buckets: MetricBucketRecorder,
    private readonly usage: UsageStatsRecorder,
    private readonly logs: PluginLogRecorder,
    @Inject(METRICS_CONFIG) private readonly config: MetricsConfig,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('ObservationFlusher');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (!this.running) void this.flush();
    }, this.config.flushIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Flushes now (waiting for a flush in progress first), so a caller sees everything recorded so far. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.flushAll().finally(() => (this.running = null));
    await this.running;
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
