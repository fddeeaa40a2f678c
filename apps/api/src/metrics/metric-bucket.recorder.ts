import { Inject, Injectable } from '@nestjs/common';
import { OnPlughubEvent } from '@app/common';
import type { HookCallEvent, HookName } from '@app/runtime';
import type { MetricsConfig } from '../config/app-config.js';
import { METRICS_CONFIG } from '../config/config.module.js';
import { bucketIndex, LAST_BUCKET, type LatencyCounts } from './latency-histogram.js';
import { foldBuckets, type HookTally, isTraffic, type MinuteBucket } from './metrics.entity.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * One installation's current minute, kept between calls so a call finds it with one map lookup on the
 * installation id (a string the event already holds: no key is built per call) and adds to plain numbers.
 */
interface MinuteAccumulator {
  installationId: string;
  pluginKey: string;
  /** Start of the minute (epoch ms). */
  minute: number;
  /** Whether any call landed since the accumulator was last emptied. */
  touched: boolean;
  calls: number;
  errors: number;
  durationSumMs: number;
  /** Calls per latency-histogram bucket. */
  latency: Float64Array;
  /** -1 while no call measured memory. */
  memoryMaxBytes: number;
  hooks: Partial<Record<HookName, HookTally>>;
}

/**
 * Folds every hook call into the per-minute bucket of its installation, in memory; `flush` adds the increments to
 * the stored buckets. The hot path is one map lookup and a few additions into the installation's accumulator (a
 * call of another minute first sets the finished minute aside). The bucket's calls, errors, durations and
 * latency histogram are the plugin's traffic (isTraffic): onInit, onHealth and onCleanup are counted in their
 * per-hook tallies only, so the background health checks never show up as requests. Memory counts every call.
 */
@Injectable()
export class MetricBucketRecorder {
  private readonly current = new Map<string, MinuteAccumulator>();
  /** Minutes an installation moved on from since the last flush. */
  private finished: MinuteBucket[] = [];
  private readonly retentionMs: number;

  constructor(
    private readonly buckets: MetricBucketRepository,
    @Inject(METRICS_CONFIG) config: MetricsConfig,
  ) {
    this.retentionMs = config.retentionDays * DAY;
  }

  @OnPlughubEvent('runtime.call')
  onCall(event: HookCallEvent): void {
    const at = event.at.getTime();
    let acc = this.current.get(event.installationId);
    if (acc === undefined) {
      acc = newAccumulator(event.installationId, event.pluginKey, at - (at % MINUTE));
      this.current.set(event.installationId, acc);
    } else if (at < acc.minute || at >= acc.minute + MINUTE) {
      if (acc.touched) this.finished.push(takeBucket(acc));
      acc.minute = at - (at % MINUTE);
    }
    acc.touched = true;
    const failed = event.outcome !== 'ok';
    const duration = event.durationMs;
    if (isTraffic(event.hook)) {
      acc.calls++;
      if (failed) acc.errors++;
      acc.durationSumMs += duration;
      acc.latency[bucketIndex(duration)]++;
    }
    if (event.memoryBytes !== undefined && event.memoryBytes > acc.memoryMaxBytes)
      acc.memoryMaxBytes = event.memoryBytes;
    const tally = (acc.hooks[event.hook] ??= { calls: 0, errors: 0, durationSumMs: 0 });
    tally.calls++;
    if (failed) tally.errors++;
    tally.durationSumMs += duration;
  }

  /**
   * Writes what was recorded since the last flush, one bucket per installation and minute; a failed write loses
   * that interval (and says so). Installations with no call since the last flush are forgotten.
   */
  async flush(): Promise<void> {
    const batch = this.finished;
    this.finished = [];
    for (const [id, acc] of this.current) {
      if (acc.touched) batch.push(takeBucket(acc));
      else this.current.delete(id);
    }
    if (batch.length === 0) return;
    // Calls arriving out of order can set a minute aside twice: one bucket per installation and minute.
    await this.buckets.add(foldBuckets(batch, MINUTE), this.retentionMs);
  }
}

function newAccumulator(installationId: string, pluginKey: string, minute: number): MinuteAccumulator {
  return {
    installationId,
    pluginKey,
    minute,
    touched: false,
    calls: 0,
    errors: 0,
    durationSumMs: 0,
    latency: new Float64Array(LAST_BUCKET + 1),
    memoryMaxBytes: -1,
    hooks: {},
  };
}

/** The accumulator's figures as a bucket (the histogram sparse), leaving it empty for its next minute. */
function takeBucket(acc: MinuteAccumulator): MinuteBucket {
  const latency: LatencyCounts = {};
  for (let i = 0; i <= LAST_BUCKET; i++) {
    if (acc.latency[i] > 0) latency[i] = acc.latency[i];
  }
  const bucket: MinuteBucket = {
    installationId: acc.installationId,
    pluginKey: acc.pluginKey,
    minute: new Date(acc.minute),
    calls: acc.calls,
    errors: acc.errors,
    durationSumMs: acc.durationSumMs,
    latency,
    memoryMaxBytes: acc.memoryMaxBytes < 0 ? null : acc.memoryMaxBytes,
    hooks: acc.hooks,
  };
  acc.touched = false;
  acc.calls = 0;
  acc.errors = 0;
  acc.durationSumMs = 0;
  acc.latency.fill(0);
  acc.memoryMaxBytes = -1;
  acc.hooks = {};
  return bucket;
}
