import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { mergeCounts } from '../latency-histogram.js';
import type { HookTally, MetricWindow, MinuteBucket } from '../metrics.entity.js';
import { MetricBucketDoc, MetricHourDoc } from './metric-bucket.schema.js';

const HOUR = 3_600_000;

type BucketLean = Pick<
  MetricBucketDoc,
  'minute' | 'calls' | 'error_count' | 'duration_sum_ms' | 'latency' | 'memory_max_bytes'
>;

@Injectable()
export class MetricBucketRepository {
  constructor(
    @InjectModel(MetricBucketDoc.name) private readonly minutes: Model<MetricBucketDoc>,
    @InjectModel(MetricHourDoc.name) private readonly hours: Model<MetricHourDoc>,
  ) {}

  /**
   * Adds each bucket's increments to its stored minute and to its hour (created when missing): one round trip
   * per collection.
   */
  async add(buckets: MinuteBucket[], retentionMs: number): Promise<void> {
    if (buckets.length === 0) return;
    await Promise.all([
      this.minutes.bulkWrite(incrementsOf(buckets, retentionMs), { ordered: false }),
      this.hours.bulkWrite(incrementsOf(byHour(buckets), retentionMs), { ordered: false }),
    ]);
  }

  /**
   * The installation's figures in `[from, to)` folded into windows of `resolutionMs` aligned on the epoch (UTC),
   * oldest first; buckets past their retention at `now` are left out even before the TTL monitor removes them.
   * Only windows with calls appear; the first starts at `from` rounded down to the resolution. Whole-hour
   * resolutions read the hourly documents.
   */
  async series(installationId: string, from: Date, to: Date, resolutionMs: number, now: Date): Promise<MetricWindow[]> {
    const model = resolutionMs % HOUR === 0 ? this.hours : this.minutes;
    const start = new Date(Math.floor(from.getTime() / resolutionMs) * resolutionMs);
    const docs = await model
      .find(
        { installation_id: installationId, minute: { $gte: start, $lt: to }, expires_at: { $gt: now } },
        { _id: 0, minute: 1, calls: 1, error_count: 1, duration_sum_ms: 1, latency: 1, memory_max_bytes: 1 },
      )
      .sort({ minute: 1 })
      .lean<BucketLean[]>()
      .exec();
    return fold(docs, resolutionMs);
  }

  /** Calls and errors of every installation in the hours from `from` (rounded down to its hour) to now. */
  async totalsSince(from: Date, now: Date): Promise<{ calls: number; errors: number }> {
    const start = new Date(Math.floor(from.getTime() / HOUR) * HOUR);
    const [sum] = await this.hours
      .aggregate<{ calls: number; errors: number }>([
        { $match: { minute: { $gte: start }, expires_at: { $gt: now } } },
        { $group: { _id: null, calls: { $sum: '$calls' }, errors: { $sum: '$error_count' } } },
      ])
      .exec();
    return { calls: sum?.calls ?? 0, errors: sum?.errors ?? 0 };
  }
}

function incrementsOf(buckets: MinuteBucket[], retentionMs: number): AnyBulkWriteOperation<MetricBucketDoc>[] {
  return buckets.map((b) => {
    const inc: Record<string, number> = { calls: b.calls, error_count: b.errors, duration_sum_ms: b.durationSumMs };
    for (const [index, n] of Object.entries(b.latency)) inc[`latency.${index}`] = n;
    for (const [hook, tally] of Object.entries(b.hooks)) {
      inc[`hooks.${hook}.calls`] = tally.calls;
      inc[`hooks.${hook}.errors`] = tally.errors;
      inc[`hooks.${hook}.duration_sum_ms`] = tally.durationSumMs;
    }
    const update: Record<string, unknown> = {
      $inc: inc,
      $setOnInsert: { plugin_key: b.pluginKey, expires_at: new Date(b.minute.getTime() + retentionMs) },
    };
    if (b.memoryMaxBytes !== null) update.$max = { memory_max_bytes: b.memoryMaxBytes };
    return { updateOne: { filter: { installation_id: b.installationId, minute: b.minute }, update, upsert: true } };
  });
}

/** Minute buckets summed per installation and hour (the hour's start in `minute`). */
function byHour(buckets: MinuteBucket[]): MinuteBucket[] {
  const hours = new Map<string, MinuteBucket>();
  for (const b of buckets) {
    const start = Math.floor(b.minute.getTime() / HOUR) * HOUR;
    const key = `${b.installationId}|${start}`;
    let h = hours.get(key);
    if (!h) {
      h = {
        ...b,
        minute: new Date(start),
        calls: 0,
        errors: 0,
        durationSumMs: 0,
        latency: {},
        memoryMaxBytes: null,
        hooks: {},
      };
      hours.set(key, h);
    }
    h.calls += b.calls;
    h.errors += b.errors;
    h.durationSumMs += b.durationSumMs;
    mergeCounts(h.latency, b.latency);
    if (b.memoryMaxBytes !== null) h.memoryMaxBytes = Math.max(h.memoryMaxBytes ?? 0, b.memoryMaxBytes);
    for (const [hook, tally] of Object.entries(b.hooks) as Array<[keyof MinuteBucket['hooks'], HookTally]>) {
      const into = (h.hooks[hook] ??= { calls: 0, errors: 0, durationSumMs: 0 });
      into.calls += tally.calls;
      into.errors += tally.errors;
      into.durationSumMs += tally.durationSumMs;
    }
  }
  return [...hours.values()];
}

function fold(docs: BucketLean[], resolutionMs: number): MetricWindow[] {
  const windows: MetricWindow[] = [];
  let current: MetricWindow | undefined;
  for (const d of docs) {
    const start = Math.floor(d.minute.getTime() / resolutionMs) * resolutionMs;
    if (!current || current.start.getTime() !== start) {
      current = { start: new Date(start), calls: 0, errors: 0, durationSumMs: 0, latency: {}, memoryMaxBytes: null };
      windows.push(current);
    }
    current.calls += d.calls;
    current.errors += d.error_count;
    current.durationSumMs += d.duration_sum_ms;
    if (d.latency) mergeCounts(current.latency, d.latency);
    if (typeof d.memory_max_bytes === 'number') {
      current.memoryMaxBytes = Math.max(current.memoryMaxBytes ?? 0, d.memory_max_bytes);
    }
  }
  return windows;
}
