import { Inject, Injectable } from '@nestjs/common';
import { Clock, JsonLogger } from '@app/common';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';
import { StartupBackfill } from './startup-backfill.js';

const BATCH = 50;
/** How often settled days are looked for after the start-up run. */
export const PACK_EVERY_MS = 3_600_000;
/** Live writes are past the days that ended this long ago: only those are packed. */
const SETTLED_MS = 10 * 60_000;

/**
 * At start-up, then every PACK_EVERY_MS, off the request path: the quarter hours and 5-minute slots of each day
 * that ended at least SETTLED_MS before are packed into one binary value per level document
 * (MetricBucketRepository.packLevels, BATCH documents at a time), so a 15m or 5m series over 30 days decodes 30
 * values instead of thousands of sub-documents. Existing days are packed by the first run; a late write to a
 * packed day lands beside it and is packed at a later run. Idempotent and resumable.
 */
@Injectable()
export class MetricLevelsPacker extends StartupBackfill {
  constructor(
    private readonly metrics: MetricBucketRepository,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    super(logger.child('MetricLevelsPacker'), 'Metric-level packing', PACK_EVERY_MS);
  }

  async run(): Promise<number> {
    const settledBefore = new Date(this.clock.nowMs() - SETTLED_MS);
    const { total, done } = await this.inBatches(
      (after, size) => this.metrics.packLevels(after, size, settledBefore),
      BATCH,
    );
    if (total > 0) this.logger.info(`Metric-level packing ${done ? 'done' : 'paused by shutdown'}`, { packed: total });
    return total;
  }
}
