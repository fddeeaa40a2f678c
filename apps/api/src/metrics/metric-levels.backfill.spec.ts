import { JsonLogger, LogOutput } from '@app/common';
import { beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { MetricLevelsBackfill } from './metric-levels.backfill.js';
import { BackfillMarkRepository } from './persistence/backfill-mark.repository.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 11, 2, 0, 5); // five minutes into a day: the day before is not settled yet

describe('MetricLevelsBackfill', () => {
  let metrics: ReturnType<typeof strictMock<MetricBucketRepository>>;
  let marks: ReturnType<typeof strictMock<BackfillMarkRepository>>;
  let backfill: MetricLevelsBackfill;
  let done: boolean;

  beforeEach(() => {
    metrics = strictMock(MetricBucketRepository);
    marks = strictMock(BackfillMarkRepository);
    done = false;
    marks.isDone.mockImplementation(() => Promise.resolve(done));
    marks.markDone.mockImplementation(() => {
      done = true;
      return Promise.resolve();
    });
    const clock = new TestClock();
    clock.advance(START - Date.now());
    backfill = new MetricLevelsBackfill(metrics, marks, clock, new JsonLogger(new LogOutput('silent')));
  });

  it('splits every pre-split day, then fills each settled day of each installation once, then marks itself done', async () => {
    const batches = [
      { updated: 100, last: 'a1' },
      { updated: 3, last: 'b2' },
      { updated: 0, last: null },
    ];
    metrics.splitDays.mockImplementation(() => Promise.resolve(batches.shift() ?? { updated: 0, last: null }));
    metrics.minuteInstallations.mockResolvedValue([
      { installationId: 'i1', oldest: new Date(START - 3 * DAY + 3_600_000) },
      { installationId: 'i2', oldest: new Date(START - 2 * DAY) },
    ]);
    metrics.fillDayFromMinutes.mockResolvedValue(2);

    expect(await backfill.run()).toBe(103 + 2 * 3);
    // Settled days only: those that ended ten minutes or more before the start (not the day before it, here).
    expect(metrics.splitDays.mock.calls.map(([after]) => after)).toEqual([null, 'a1', 'b2']);
    const day = (n: number) => new Date(Math.floor(START / DAY) * DAY - n * DAY);
    expect(metrics.fillDayFromMinutes.mock.calls.map(([id, d]) => [id, d])).toEqual([
      ['i1', day(3)],
      ['i1', day(2)],
      ['i2', day(2)],
    ]);
    expect(marks.markDone).toHaveBeenCalledTimes(1);

    // Marked: the next start only splits (nothing left), it does not fill again.
    expect(await backfill.run()).toBe(0);
    expect(metrics.fillDayFromMinutes).toHaveBeenCalledTimes(3);
  });

  it('does not mark itself done while a day was still being split elsewhere', async () => {
    metrics.splitDays.mockResolvedValue({ updated: 0, last: null });
    metrics.minuteInstallations.mockResolvedValue([{ installationId: 'i1', oldest: new Date(START - 3 * DAY) }]);
    metrics.fillDayFromMinutes.mockResolvedValueOnce(null).mockResolvedValueOnce(4);

    expect(await backfill.run()).toBe(4);
    expect(marks.markDone).not.toHaveBeenCalled();
  });

  it('stops between batches at shutdown, before filling', async () => {
    metrics.splitDays.mockImplementation(async () => {
      await backfill.beforeApplicationShutdown();
      return { updated: 100, last: 'c3' };
    });

    expect(await backfill.run()).toBe(0);
    expect(metrics.splitDays).toHaveBeenCalledTimes(1);
    expect(marks.isDone).not.toHaveBeenCalled();
  });
});
