import { JsonLogger, LogOutput } from '@app/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TestClock } from '../../../../test/support/clock.js';
import { strictMock } from '../../../../test/support/strict-mock.js';
import { MetricLevelsPacker, PACK_EVERY_MS } from './metric-levels.packer.js';
import { MetricBucketRepository } from './persistence/metric-bucket.repository.js';

const START = Date.UTC(2026, 11, 2, 0, 5);

describe('MetricLevelsPacker', () => {
  let metrics: ReturnType<typeof strictMock<MetricBucketRepository>>;
  let clock: TestClock;
  let packer: MetricLevelsPacker;

  beforeEach(() => {
    metrics = strictMock(MetricBucketRepository);
    clock = new TestClock();
    clock.advance(START - clock.nowMs());
    packer = new MetricLevelsPacker(metrics, clock, new JsonLogger(new LogOutput('silent')));
  });
  afterEach(() => vi.useRealTimers());

  it('packs the days settled ten minutes before now, batch after batch, to the end', async () => {
    const batches = [
      { updated: 50, last: 'a1' },
      { updated: 7, last: 'b2' },
      { updated: 0, last: null },
    ];
    metrics.packLevels.mockImplementation(() => Promise.resolve(batches.shift()!));

    expect(await packer.run()).toBe(57);
    const calls = metrics.packLevels.mock.calls;
    expect(calls.map(([after, size]) => [after, size])).toEqual([
      [null, 50],
      ['a1', 50],
      ['b2', 50],
    ]);
    // One bound for the whole run: ten minutes before it started (the test clock runs on from START).
    const settled = calls[0][2].getTime();
    expect(calls.every(([, , before]) => before.getTime() === settled)).toBe(true);
    expect(settled - (START - 10 * 60_000)).toBeGreaterThanOrEqual(0);
    expect(settled - (START - 10 * 60_000)).toBeLessThan(60_000);
  });

  it('runs again every PACK_EVERY_MS after a run ended, and not after shutdown', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    metrics.packLevels.mockResolvedValue({ updated: 0, last: null });

    packer.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(0);
    expect(metrics.packLevels).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(PACK_EVERY_MS - 1);
    expect(metrics.packLevels).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(metrics.packLevels).toHaveBeenCalledTimes(2);

    await packer.beforeApplicationShutdown();
    await vi.advanceTimersByTimeAsync(3 * PACK_EVERY_MS);
    expect(metrics.packLevels).toHaveBeenCalledTimes(2);
  });

  it('runs again at the next interval after a failed run', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    metrics.packLevels.mockRejectedValueOnce(new Error('database down')).mockResolvedValue({ updated: 0, last: null });

    packer.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(PACK_EVERY_MS);
    expect(metrics.packLevels).toHaveBeenCalledTimes(2);
    await packer.beforeApplicationShutdown();
  });
});
