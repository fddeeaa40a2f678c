import { Inject, Injectable } from '@nestjs/common';
import { Clock, JsonLogger } from '@app/common';
import { BackfillMarkRepository } from './persistence/backfill-mark.repository.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';
import { StartupBackfill } from './startup-backfill.js';

const FILL = 'plugin_metric_levels_from_minutes';
const BATCH = 100;
const DAY = 86_400_000;
/** Live writes are past the days that ended this long before the start: the fill reads only those. */
const SETTLED_MS = 10 * 60_000;

/**
 * At start-up, off the request path, two steps so that series at 5 minutes and coarser show every minute stored:
 * 1. at every start, day documents written before quarter hours and 5-minute slots had documents of their own
 *    have those moved out (MetricBucketRepository.splitDays, BATCH days at a time; nothing to do is one query);
 * 2. once, after step 1 reached its end, each installation's days that ended before the start get from their
 *    minutes what their levels lack (minutes written before day documents existed: fillDayFromMinutes), a day at
 *    a time; at its end a mark keeps it from running again.
 * Both are idempotent and resumable: a run cut short (shutdown, failure) runs again at the next start.
 */
@Injectable()
export class MetricLevelsBackfill extends StartupBackfill {
  constructor(
    private readonly metrics: MetricBucketRepository,
    private readonly marks: BackfillMarkRepository,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    super(logger.child('MetricLevelsBackfill'), 'Metric-level backfill');
  }

  async run(): Promise<number> {
    const split = await this.split();
    if (split === null) return 0;
    if (await this.marks.isDone(FILL)) return split;
    const before = Math.floor((this.clock.nowMs() - SETTLED_MS) / DAY) * DAY;
    let slots = 0;
    let pending = 0;
    for (const { installationId, oldest } of await this.metrics.minuteInstallations()) {
      for (let day = Math.floor(oldest.getTime() / DAY) * DAY; day < before; day += DAY) {
        if (this.stopped) {
          this.logger.info('Metric-level backfill paused by shutdown', { days_split: split, slots_filled: slots });
          return split + slots;
        }
        const filled = await this.metrics.fillDayFromMinutes(installationId, new Date(day), this.clock.now());
        if (filled === null) pending++;
        else slots += filled;
        await this.pause();
      }
    }
    // A day another node was still splitting is filled at a later start.
    if (pending === 0) await this.marks.markDone(FILL, this.clock.now());
    if (split > 0 || slots > 0)
      this.logger.info('Metric-level backfill done', { days_split: split, slots_filled: slots });
    return split + slots;
  }

  /** Step 1 to its end: the day documents split, or null when shutdown stopped it first. */
  private async split(): Promise<number | null> {
    const { total, done } = await this.inBatches((after, size) => this.metrics.splitDays(after, size), BATCH);
    if (done) return total;
    this.logger.info('Metric-level backfill paused by shutdown', { days_split: total });
    return null;
  }
}
