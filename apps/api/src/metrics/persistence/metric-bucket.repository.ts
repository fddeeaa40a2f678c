import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { mergeCounts } from '../latency-histogram.js';
import type { MetricWindow, MinuteBucket } from '../metrics.entity.js';
import { MetricBucketDoc } from './metric-bucket.schema.js';

type BucketLean = Pick<
  MetricBucketDoc,
  'minute' | 'calls' | 'error_count' | 'duration_sum_ms' | 'latency' | 'memory_max_bytes'
>;

@Injectable()
export class MetricBucketRepository {
  constructor(@InjectModel(MetricBucketDoc.name) private readonly model: Model<MetricBucketDoc>) {}

  /** Adds each bucket's increments to the stored minute (created when missing), in one round trip. */
  async add(buckets: MinuteBucket[], retentionMs: number): Promise<void> {
    if (buckets.length === 0) return;
    const ops: AnyBulkWriteOperation<MetricBucketDoc>[] = buckets.map((b) => {
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
      return {
        updateOne: {
          filter: { installation_id: b.installationId, minute: b.minute },
          update,
          upsert: true,
        },
      };
    });
    await this.model.bulkWrite(ops, { ordered: false });
  }

  /**
   * The installation's minutes in `[from, to)` folded into windows of `resolutionMs` aligned on the epoch (UTC),
   * oldest first; minutes past their retention at `now` are left out even before the TTL monitor removes them.
   * Only windows with calls appear.
   */
  async series(installationId: string, from: Date, to: Date, resolutionMs: number, now: Date): Promise<MetricWindow[]> {
    const docs = await this.model
      .find(
        { installation_id: installationId, minute: { $gte: from, $lt: to }, expires_at: { $gt: now } },
        { _id: 0, minute: 1, calls: 1, error_count: 1, duration_sum_ms: 1, latency: 1, memory_max_bytes: 1 },
      )
      .sort({ minute: 1 })
      .lean<BucketLean[]>()
      .exec();
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
}
