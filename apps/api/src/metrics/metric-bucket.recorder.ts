import { Inject, Injectable } from '@nestjs/common';
import { OnPlughubEvent } from '@app/common';
import type { HookCallEvent } from '@app/runtime';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { bucketIndex } from './latency-histogram.js';
import { isTraffic, type MinuteBucket } from './metrics.entity.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Folds every hook call into the per-minute bucket of its installation, in memory; `flush` adds the increments to
 * the stored buckets. The hot path is a map lookup and a few additions. The bucket's calls, errors, durations and
 * latency histogram are the plugin's traffic (TRAFFIC_HOOKS): onInit, onHealth and onCleanup are counted in their
 * per-hook tallies only, so the background health checks never show up as requests. Memory counts every call.
 */
@Injectable()
export class MetricBucketRecorder {
  private pending = new Map<string, MinuteBucket>();
  private readonly retentionMs: number;

  constructor(
    private readonly buckets: MetricBucketRepository,
    @Inject(METRICS_CONFIG) config: MetricsConfig,
  ) {
    this.retentionMs = config.retentionDays * DAY;
  }

  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    const minute = Math.floor(event.at.getTime() / MINUTE) * MINUTE;
    const key = `${event.installationId}|${minute}`;
    let bucket = this.pending.get(key);
    if (!bucket) {
      bucket = {
        installationId: event.installationId,
        pluginKey: event.pluginKey,
        minute: new Date(minute),
        calls: 0,
        errors: 0,
        durationSumMs: 0,
        latency: {},
        memoryMaxBytes: null,
        hooks: {},
      };
      this.pending.set(key, bucket);
    }
    const failed = event.outcome !== 'ok';
    if (isTraffic(event.hook)) {
      bucket.calls++;
      if (failed) bucket.errors++;
      bucket.durationSumMs += event.durationMs;
      const index = bucketIndex(event.durationMs);
      bucket.latency[index] = (bucket.latency[index] ?? 0) + 1;
    }
    if (event.memoryBytes !== undefined)
      bucket.memoryMaxBytes = Math.max(bucket.memoryMaxBytes ?? 0, event.memoryBytes);
    const tally = (bucket.hooks[event.hook] ??= { calls: 0, errors: 0, durationSumMs: 0 });
    tally.calls++;
    if (failed) tally.errors++;
    tally.durationSumMs += event.durationMs;
  }

  /** Writes what was recorded since the last flush; a failed write loses that interval (and says so). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    await this.buckets.add(batch, this.retentionMs);
  }
}
