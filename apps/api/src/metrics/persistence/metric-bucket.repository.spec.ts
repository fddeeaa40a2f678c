import { useTestDatabase } from '@app/database/testing.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { bucketIndex, mergeCounts, quantile } from '../latency-histogram.js';
import { type MetricWindow, type MinuteBucket, RESOLUTION_MS } from '../metrics.entity.js';
import { MetricBucketRepository } from './metric-bucket.repository.js';
import {
  MetricBucketDoc,
  MetricBucketSchema,
  MetricDayDoc,
  MetricDayLevelDoc,
  MetricDayLevelSchema,
  MetricDaySchema,
  MetricHourDoc,
  MetricHourSchema,
} from './metric-bucket.schema.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 30, 10, 0);

function bucket(installationId: string, minuteOffset: number, durations: number[], errors = 0): MinuteBucket {
  const latency: Record<number, number> = {};
  for (const d of durations) latency[bucketIndex(d)] = (latency[bucketIndex(d)] ?? 0) + 1;
  return {
    installationId,
    pluginKey: 'acme.p',
    minute: new Date(T0 + minuteOffset * 60_000),
    calls: durations.length,
    errors,
    durationSumMs: durations.reduce((a, b) => a + b, 0),
    latency,
    memoryMaxBytes: 1000 + minuteOffset,
    hooks: { onMessage: { calls: durations.length, errors, durationSumMs: durations.reduce((a, b) => a + b, 0) } },
  };
}

describe('MetricBucketRepository', () => {
  const db = useTestDatabase('metric_buckets');
  let repo: MetricBucketRepository;

  beforeAll(async () => {
    repo = new MetricBucketRepository(
      await db.model(MetricBucketDoc.name, MetricBucketSchema),
      await db.model(MetricHourDoc.name, MetricHourSchema),
      await db.model(MetricDayDoc.name, MetricDaySchema),
      await db.model(MetricDayLevelDoc.name, MetricDayLevelSchema),
    );
  });

  it('adds flushes of the same minute together, atomically per field', async () => {
    await repo.add([bucket('a', 0, [1, 2]), bucket('a', 1, [10], 1)], 30 * DAY);
    await Promise.all([repo.add([bucket('a', 0, [3], 1)], 30 * DAY), repo.add([bucket('a', 0, [4])], 30 * DAY)]);

    const [first, second] = await repo.series('a', new Date(T0), new Date(T0 + 2 * 60_000), 60_000, new Date(T0));
    expect(first).toMatchObject({ calls: 4, errors: 1, durationSumMs: 10, memoryMaxBytes: 1000 });
    expect(second).toMatchObject({ calls: 1, errors: 1, durationSumMs: 10, memoryMaxBytes: 1001 });
    expect(quantile(first.latency, 1)).toBeGreaterThanOrEqual(4 / 1.5);
  });

  it('folds minutes into aligned windows of the resolution, leaving other installations out', async () => {
    const minutes = Array.from({ length: 30 }, (_, i) => bucket('b', i, [i + 1], i % 3 === 0 ? 1 : 0));
    await repo.add([...minutes, bucket('c', 0, [99])], 30 * DAY);

    const windows = await repo.series('b', new Date(T0), new Date(T0 + 30 * 60_000), 15 * 60_000, new Date(T0));
    expect(windows.map((w) => w.start.getTime())).toEqual([T0, T0 + 15 * 60_000]);
    expect(windows.map((w) => w.calls)).toEqual([15, 15]);
    expect(windows.map((w) => w.errors)).toEqual([5, 5]);
    expect(windows[0].durationSumMs).toBe((15 * 16) / 2);
    expect(windows[1].memoryMaxBytes).toBe(1029);
  });

  it('answers 5-minute multiples from the day documents with the same figures', async () => {
    const from = new Date(T0);
    const to = new Date(T0 + 3_600_000);
    const [hour] = await repo.series('b', from, to, 3_600_000, new Date(T0));
    expect(hour).toMatchObject({
      start: from,
      calls: 30,
      errors: 10,
      durationSumMs: (30 * 31) / 2,
      memoryMaxBytes: 1029,
    });
    const minutes = await repo.series('b', from, to, 60_000, new Date(T0));
    expect(hour.latency).toEqual(minutes.reduce((acc, w) => mergeCounts(acc, w.latency), {}));
    expect(await db.connection.collection('plugin_metric_hours').countDocuments({ installation_id: 'b' })).toBe(1);
    expect(await db.connection.collection('plugin_metric_days').countDocuments({ installation_id: 'b' })).toBe(1);
    // The day's quarter hours and 5-minute slots are documents of their own, each level read alone.
    const levels = db.connection.collection('plugin_metric_day_levels');
    expect((await levels.find({ installation_id: 'b' }).toArray()).map((l) => String(l.level)).sort()).toEqual([
      'q',
      's',
    ]);
    const day = await db.connection.collection('plugin_metric_days').findOne({ installation_id: 'b' });
    expect(
      Object.keys(day!)
        .filter((k) => k.length === 1)
        .sort(),
    ).toEqual(['h', 't']);
  });

  it('adds the minutes of a last, partial 5-minute slot from the minute documents', async () => {
    // [T0, T0 + 13 min) at 5m: slots 0-4 and 5-9 from the day, minutes 10-12 from the minutes.
    const windows = await repo.series('b', new Date(T0), new Date(T0 + 13 * 60_000), 5 * 60_000, new Date(T0));
    expect(windows.map((w) => [w.start.getTime() - T0, w.calls])).toEqual([
      [0, 5],
      [5 * 60_000, 5],
      [10 * 60_000, 3],
    ]);
    expect(windows[2].durationSumMs).toBe(11 + 12 + 13);
    expect(windows[2].memoryMaxBytes).toBe(1012);
  });

  it('hides what is past its retention minute by minute, as the minute series does', async () => {
    await repo.add([bucket('r', 0, [1]), bucket('r', 6, [2]), bucket('r', 7, [3])], DAY);
    const range = [new Date(T0), new Date(T0 + 3_600_000), 3_600_000] as const;
    const calls = async (now: number) => (await repo.series('r', ...range, new Date(now))).map((w) => w.calls);
    expect(await calls(T0 + DAY - 1)).toEqual([3]);
    expect(await calls(T0 + DAY)).toEqual([2]); // minute 0 is over its retention
    // Minute 6 is gone too, minute 7 (same 5-minute slot) is not: that slot is read from its minutes.
    expect(await calls(T0 + DAY + 6.5 * 60_000)).toEqual([1]);
    expect(await calls(T0 + DAY + 7 * 60_000)).toEqual([]);
  });

  it('serves 1-minute series from the hours, and from the minutes an hour partly past its retention', async () => {
    await repo.add([bucket('e', 0, [1]), bucket('e', 30, [2, 2]), bucket('e', 61, [3])], DAY);
    const range = [new Date(T0), new Date(T0 + 2 * 3_600_000), 60_000] as const;
    const calls = async (now: number) =>
      (await repo.series('e', ...range, new Date(now))).map((w) => [(w.start.getTime() - T0) / 60_000, w.calls]);
    expect(await calls(T0)).toEqual([
      [0, 1],
      [30, 2],
      [61, 1],
    ]);
    // The first hour's document expired with its minute 0; its minute 30 has not.
    expect(await calls(T0 + DAY + 10 * 60_000)).toEqual([
      [30, 2],
      [61, 1],
    ]);
  });

  it('answers a 1-minute series oldest first when a later minute of the hour was flushed first', async () => {
    await repo.add([bucket('g', 7, [1])], DAY);
    await repo.add([bucket('g', 3, [2, 2])], DAY);
    const windows = await repo.series('g', new Date(T0), new Date(T0 + 3_600_000), 60_000, new Date(T0));
    expect(windows.map((w) => [(w.start.getTime() - T0) / 60_000, w.calls])).toEqual([
      [3, 2],
      [7, 1],
    ]);
  });

  it('reads the minutes of hours written before hours held their minutes', async () => {
    await repo.add([bucket('f', 0, [1]), bucket('f', 70, [4], 1)], 30 * DAY);
    await db.connection.collection('plugin_metric_hours').updateMany({ installation_id: 'f' }, { $unset: { m: '' } });
    await repo.add([bucket('f', 5, [2]), bucket('f', 75, [8])], 30 * DAY);
    const windows = await repo.series('f', new Date(T0), new Date(T0 + 2 * 3_600_000), 60_000, new Date(T0));
    expect(windows.map((w) => [(w.start.getTime() - T0) / 60_000, w.calls, w.errors])).toEqual([
      [0, 1, 0],
      [5, 1, 0],
      [70, 1, 1],
      [75, 1, 0],
    ]);
  });

  /** What the stored minute documents hold in `[from, to)` at `now`, folded to `size` by hand: the reference. */
  async function fromRawMinutes(id: string, from: Date, to: Date, size: number, now: Date): Promise<MetricWindow[]> {
    const docs = await db.connection
      .collection<MetricBucketDoc>('plugin_metric_buckets')
      .find({ installation_id: id, minute: { $gte: from, $lt: to }, expires_at: { $gt: now } })
      .sort({ minute: 1 })
      .toArray();
    const expected = new Map<number, MetricWindow>();
    for (const m of docs) {
      const start = Math.floor(m.minute.getTime() / size) * size;
      const w = expected.get(start) ?? {
        start: new Date(start),
        calls: 0,
        errors: 0,
        durationSumMs: 0,
        latency: {},
        memoryMaxBytes: null,
      };
      w.calls += m.calls;
      w.errors += m.error_count;
      w.durationSumMs += m.duration_sum_ms;
      mergeCounts(w.latency, m.latency ?? {});
      if (typeof m.memory_max_bytes === 'number')
        w.memoryMaxBytes = Math.max(w.memoryMaxBytes ?? 0, m.memory_max_bytes);
      expected.set(start, w);
    }
    return [...expected.values()];
  }

  it('folds to every resolution exactly what the minutes hold (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            minute: fc.integer({ min: 0, max: 3 * 1440 - 1 }),
            durations: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 4 }),
            errors: fc.integer({ min: 0, max: 1 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 3 * 1440 }),
        fc.integer({ min: 1, max: 3 * 1440 }),
        fc.constantFrom('1m', '5m', '15m', '1h', '1d'),
        fc.integer({ min: 0, max: 4 * 1440 }),
        fc.boolean(),
        fc.constantFrom('current', 'pre-split', 'pre-split-twice', 'pre-days'),
        fc.constantFrom('never', 'between', 'end'),
        async (written, fromMinute, span, resolution, nowMinute, oldHours, era, pack) => {
          const id = `prop-${run++}`;
          const base = Date.UTC(2026, 10, 29, 0, 0);
          const buckets = written.map((w) => ({
            ...bucket(id, 0, w.durations, Math.min(w.errors, w.durations.length)),
            minute: new Date(base + w.minute * 60_000),
            memoryMaxBytes: 1000 + ((w.minute * 7919) % 5000),
          }));
          // Two flushes, as the recorder writes them: the same minute may come twice. A day's retention: `now`
          // may fall before, within or after the buckets' expiry.
          await repo.add(buckets.slice(0, buckets.length >> 1), DAY);
          if (oldHours) {
            // The first flush's hours as written before hours held their minutes.
            await db.connection
              .collection('plugin_metric_hours')
              .updateMany({ installation_id: id }, { $unset: { m: '' } });
          }
          const days = db.connection.collection('plugin_metric_days');
          const levels = db.connection.collection('plugin_metric_day_levels');
          if (era === 'pre-split' || era === 'pre-split-twice') {
            // The first flush's days as written before their quarter hours and 5-minute slots had documents.
            for (const level of await levels.find({ installation_id: id }).toArray()) {
              const day = { installation_id: id, day: level.day as Date };
              await days.updateOne(day, { $set: { [level.level as string]: level.slots as object } });
            }
            await levels.deleteMany({ installation_id: id });
          } else if (era === 'pre-days') {
            // The first flush's minutes as written before day documents existed.
            await days.deleteMany({ installation_id: id });
            await levels.deleteMany({ installation_id: id });
          }
          // Levels packed after the first flush (the second lands beside the packed slots), or at the end.
          const packAll = async () => {
            while ((await repo.packLevels(null, 100, new Date(base + 10 * DAY))).last !== null);
          };
          if (pack === 'between') await packAll();
          await repo.add(buckets.slice(buckets.length >> 1), DAY);
          if (era === 'pre-split' || era === 'pre-split-twice') {
            const legacy = await days.find({ installation_id: id }).toArray();
            let after: string | null = null;
            for (let batch = await repo.splitDays(after, 2); batch.last; batch = await repo.splitDays(after, 2)) {
              after = batch.last;
            }
            expect(await days.countDocuments({ installation_id: id, s: { $exists: true } })).toBe(0);
            if (era === 'pre-split-twice') {
              // A run stopped after adding a day's levels, before removing them from the day: they are added once.
              for (const d of legacy)
                await days.updateOne({ _id: d._id }, { $set: { q: d.q as object, s: d.s as object } });
              while ((await repo.splitDays(null, 10)).last !== null);
            }
          } else if (era === 'pre-days') {
            // The fill compares the minutes with what the levels hold, packed or not.
            if (pack === 'between') await packAll();
            for (let day = base; day < base + 4 * DAY; day += DAY) {
              await repo.fillDayFromMinutes(id, new Date(day), new Date(base));
              // Again: nothing is lacking any more.
              expect(await repo.fillDayFromMinutes(id, new Date(day), new Date(base))).toBe(0);
            }
          }
          if (pack === 'end') {
            await packAll();
            expect(await levels.countDocuments({ installation_id: id, slots: { $exists: true } })).toBe(0);
          }
          const from = new Date(base + fromMinute * 60_000);
          const to = new Date(from.getTime() + span * 60_000);
          const now = new Date(base + nowMinute * 60_000);
          const size = RESOLUTION_MS[resolution];
          const aligned = new Date(Math.floor(from.getTime() / size) * size);
          expect(await repo.series(id, from, to, size, now)).toEqual(await fromRawMinutes(id, aligned, to, size, now));
        },
      ),
      { numRuns: 60 },
    );
  }, 900_000); // 60 runs of a few round trips each on a loaded machine (load 25: over 6 minutes)

  it('packs settled days only, and leaves a level written to while it was being packed for a later run', async () => {
    const id = 'packing';
    const day0 = Math.floor(T0 / DAY) * DAY;
    const written = [bucket(id, 0, [3, 4]), bucket(id, 2 * 1440, [5])]; // today and two days later
    // Other tests' settled days packed first: the packer below meets this test's levels only.
    while ((await repo.packLevels(null, 100, new Date(day0 + 2 * DAY))).last !== null);
    await repo.add(written, 40 * DAY);
    const levels = db.connection.collection('plugin_metric_day_levels');
    // A write lands on the level between the packer's read and its update (a hook on a second model of the
    // collection runs it right before the packer's update).
    const hooked = MetricDayLevelSchema.clone();
    let late: MinuteBucket | null = bucket(id, 7, [9], 1);
    hooked.pre('updateOne', async function () {
      if (!late) return;
      const adding = late;
      late = null;
      await repo.add([adding], 40 * DAY);
    });
    const racing = new MetricBucketRepository(
      await db.model(MetricBucketDoc.name, MetricBucketSchema),
      await db.model(MetricHourDoc.name, MetricHourSchema),
      await db.model(MetricDayDoc.name, MetricDaySchema),
      await db.model('MetricDayLevelDocHooked', hooked),
    );
    // Settled: the first day (ended before `day0 + 2 days`), not the third.
    const first = await racing.packLevels(null, 10, new Date(day0 + 2 * DAY));
    // Both levels of the first day were read, then written to before their update: both are left as they were.
    expect(first.updated).toBe(0);
    expect(await levels.countDocuments({ installation_id: id, packed: { $exists: true } })).toBe(0);
    const second = await repo.packLevels(null, 10, new Date(day0 + 2 * DAY));
    expect(second.updated).toBe(2);
    expect(await levels.countDocuments({ installation_id: id, day: new Date(day0), slots: { $exists: true } })).toBe(0);
    // The third day is not settled: it keeps its slots.
    expect(await levels.countDocuments({ installation_id: id, packed: { $exists: true } })).toBe(2);
    expect(await repo.packLevels(second.last, 10, new Date(day0 + 2 * DAY))).toEqual({ updated: 0, last: null });

    const now = new Date(T0 + 3 * DAY);
    for (const size of [5 * 60_000, 15 * 60_000]) {
      const from = new Date(day0);
      const to = new Date(day0 + 3 * DAY);
      expect(await repo.series(id, from, to, size, now)).toEqual(await fromRawMinutes(id, from, to, size, now));
    }
    const [fiveMinutes] = await repo.series(id, new Date(day0), new Date(day0 + DAY), 5 * 60_000, now);
    expect([fiveMinutes.calls, fiveMinutes.errors]).toEqual([2, 0]);
    const sum = (await repo.series(id, new Date(day0), new Date(day0 + DAY), DAY, now))[0];
    expect([sum.calls, sum.errors]).toEqual([3, 1]);
  });

  it('leaves out minutes outside [from, to)', async () => {
    const windows = await repo.series('b', new Date(T0 + 60_000), new Date(T0 + 3 * 60_000), 60_000, new Date(T0));
    expect(windows.map((w) => w.calls)).toEqual([1, 1]);
  });

  it('hides minutes past their retention, and the TTL index removes them', async () => {
    await repo.add([bucket('d', 0, [1])], DAY);
    const range = [new Date(T0), new Date(T0 + 60_000), 60_000] as const;
    expect(await repo.series('d', ...range, new Date(T0 + DAY - 1))).toHaveLength(1);
    expect(await repo.series('d', ...range, new Date(T0 + DAY))).toHaveLength(0);

    const indexes = await db.connection.collection('plugin_metric_buckets').indexes();
    expect(indexes.find((i) => i.name === 'retention')).toMatchObject({
      key: { expires_at: 1 },
      expireAfterSeconds: 0,
    });
  });

  it("totals every installation's calls and errors from an hour on, leaving out expired hours", async () => {
    const base = Date.UTC(2027, 5, 1, 0, 0); // after the other tests' buckets have expired
    const at = (hours: number, id: string, durations: number[], errors: number) => ({
      ...bucket(id, 0, durations, errors),
      minute: new Date(base + hours * 3_600_000),
    });
    await repo.add([at(0, 'x', [1, 1, 1], 1), at(5, 'y', [2, 2], 0), at(6, 'x', [3], 1)], 30 * DAY);
    await repo.add([at(1, 'z', [9], 1)], 3_600_000); // expires an hour after its hour: gone at base + 3 h
    const now = new Date(base + 7 * 3_600_000);
    expect(await repo.totalsSince(new Date(base + 30 * 60_000), now)).toEqual({ calls: 6, errors: 2 });
    expect(await repo.totalsSince(new Date(base + 5.5 * 3_600_000), now)).toEqual({ calls: 3, errors: 1 });
    expect(await repo.totalsSince(new Date(base + 8 * 3_600_000), now)).toEqual({ calls: 0, errors: 0 });
  });
});
