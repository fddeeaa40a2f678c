import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { AnyBulkWriteOperation, Model } from 'mongoose';
import { mergeCounts } from '../latency-histogram.js';
import { foldBuckets, type MetricWindow, type MinuteBucket } from '../metrics.entity.js';
import { MetricBucketDoc, MetricDayDoc, MetricHourDoc, type MetricSlot } from './metric-bucket.schema.js';

const MINUTE = 60_000;
const SLOT = 5 * MINUTE;
const QUARTER = 15 * MINUTE;
const HOUR = 3_600_000;
const DAY = 86_400_000;

type DayLean = Pick<MetricDayDoc, 'day' | 'retention_ms' | 't' | 'h' | 'q' | 's'>;
type LevelField = 't' | 'h' | 'q' | 's';
/** The levels of a day document, coarsest first: the day's total, its hours, quarter hours, 5-minute slots. */
const LEVELS: Array<{ size: number; field: LevelField }> = [
  { size: DAY, field: 't' },
  { size: HOUR, field: 'h' },
  { size: QUARTER, field: 'q' },
  { size: SLOT, field: 's' },
];
/** What the number in a level's slot name counts from the start of the day (`h7`: hours, `m35`: minutes). */
const LEVEL_UNIT: Record<LevelField, number> = { t: 0, h: HOUR, q: MINUTE, s: MINUTE };

type HourLean = Pick<MetricHourDoc, 'minute' | 'calls' | 'error_count' | 'm'>;
type BucketLean = Pick<
  MetricBucketDoc,
  'minute' | 'calls' | 'error_count' | 'duration_sum_ms' | 'latency' | 'memory_max_bytes'
>;

@Injectable()
export class MetricBucketRepository {
  constructor(
    @InjectModel(MetricBucketDoc.name) private readonly minutes: Model<MetricBucketDoc>,
    @InjectModel(MetricHourDoc.name) private readonly hours: Model<MetricHourDoc>,
    @InjectModel(MetricDayDoc.name) private readonly days: Model<MetricDayDoc>,
  ) {}

  /**
   * Adds each bucket's increments to its stored minute, to its hour and to its day's 5-minute slot (each created
   * when missing): one round trip per collection.
   */
  async add(buckets: MinuteBucket[], retentionMs: number): Promise<void> {
    if (buckets.length === 0) return;
    await Promise.all([
      this.minutes.bulkWrite(incrementsOf(buckets, retentionMs), { ordered: false }),
      this.hours.bulkWrite(hourIncrementsOf(buckets, retentionMs), { ordered: false }),
      this.days.bulkWrite(dayIncrementsOf(buckets, retentionMs), { ordered: false }),
    ]);
  }

  /**
   * The installation's figures in `[from, to)` folded into windows of `resolutionMs` aligned on the epoch (UTC),
   * oldest first; buckets past their retention at `now` are left out even before the TTL monitor removes them.
   * Only windows with calls appear; the first starts at `from` rounded down to the resolution. Resolutions that
   * are whole 5-minute multiples read the day documents (1d their totals, 1h their hours, 15m their quarters, 5m
   * their 5-minute slots: 30 documents for 30 days), the others the minutes.
   */
  async series(installationId: string, from: Date, to: Date, resolutionMs: number, now: Date): Promise<MetricWindow[]> {
    const start = Math.floor(from.getTime() / resolutionMs) * resolutionMs;
    const toMs = to.getTime();
    if (resolutionMs % SLOT !== 0)
      return fold(await this.minuteWindows(installationId, start, toMs, now), resolutionMs);
    // Whole windows from the coarsest level that divides the resolution; the last, partial window (when `to` is
    // not on a level boundary) from 5-minute slots, and its last partial slot from minutes.
    const level = LEVELS.find((l) => resolutionMs % l.size === 0)!;
    const wholeEnd = Math.max(start, Math.floor(toMs / level.size) * level.size);
    const slotsEnd = Math.max(wholeEnd, Math.floor(toMs / SLOT) * SLOT);
    const [whole, tailSlots, tailMinutes] = await Promise.all([
      wholeEnd > start ? this.daysIn(installationId, start, wholeEnd, now, level.field) : [],
      slotsEnd > wholeEnd ? this.daysIn(installationId, wholeEnd, slotsEnd, now, 's') : [],
      toMs > slotsEnd ? this.minutesIn(installationId, slotsEnd, toMs, now) : [],
    ]);
    const windows = new Map<number, MetricWindow>();
    const nowMs = now.getTime();
    /** 5-minute slots whose first minutes are past their retention and whose last are not. */
    const edges: number[] = [];
    const foldSlots = (days: DayLean[], field: LevelField, from: number, until: number) => {
      for (const d of days) {
        const day = d.day.getTime();
        const slots = d[field];
        const unit = LEVEL_UNIT[field];
        // for…in, not Object.entries: a 5-minute series over 30 days walks 8,640 slots.
        for (const name in slots) {
          const slot = slots[name];
          const at = day + Number(name.slice(1)) * unit;
          if (at < from || at >= until) continue;
          // A day's first slot still retained means all of it is; 5-minute slots are checked one by one, and
          // one that is partly past its retention is read from its minutes, as the minute series shows it.
          if (field === 's' && at + d.retention_ms <= nowMs) {
            if (at + SLOT - MINUTE + d.retention_ms > nowMs) edges.push(at);
            continue;
          }
          addTo(windowOf(windows, at, resolutionMs), slot);
        }
      }
    };
    const foldMinutes = (minutes: BucketLean[]) => {
      for (const m of minutes) {
        addTo(windowOf(windows, m.minute.getTime(), resolutionMs), {
          c: m.calls,
          e: m.error_count,
          d: m.duration_sum_ms,
          l: m.latency,
          x: m.memory_max_bytes,
        });
      }
    };
    // A day whose retention has begun to run out (its first slots are gone) is folded from its 5-minute slots.
    const live = whole.filter((d) => level.field === 's' || d.day.getTime() + d.retention_ms > nowMs);
    foldSlots(live, level.field, start, wholeEnd);
    const expiring = whole.filter((d) => !live.includes(d));
    if (expiring.length > 0) {
      const days = await this.daysIn(
        installationId,
        start,
        wholeEnd,
        now,
        's',
        expiring.map((d) => d.day),
      );
      foldSlots(days, 's', start, wholeEnd);
    }
    foldSlots(tailSlots, 's', wholeEnd, slotsEnd);
    foldMinutes(tailMinutes);
    for (const at of edges) foldMinutes(await this.minutesIn(installationId, at, at + SLOT, now));
    return [...windows.values()].sort((a, b) => a.start.getTime() - b.start.getTime());
  }

  /**
   * Every retained minute with data in `[from, to)`, oldest first, from the hour documents' minute slots. An hour
   * whose slots do not add up to its totals (written before hours held minutes) is read from its minutes, and so
   * is everything before the first hour read whole: the hour partly past its retention (its document, which expires
   * with its first minute, is gone while its later minutes are not) lies there.
   */
  private async minuteWindows(installationId: string, from: number, to: number, now: Date): Promise<MetricWindow[]> {
    const hours = await this.hours
      .find(
        {
          installation_id: installationId,
          minute: { $gte: new Date(Math.floor(from / HOUR) * HOUR), $lt: new Date(to) },
          expires_at: { $gt: now },
        },
        { _id: 0, minute: 1, calls: 1, error_count: 1, m: 1 },
      )
      .sort({ minute: 1 })
      .lean<HourLean[]>()
      .exec();
    const windows: MetricWindow[] = [];
    /** `[from, to)` ranges read from the minutes. */
    const fromMinutes: Array<[number, number]> = [];
    let wholeSince: number | null = null;
    for (const h of hours) {
      const hour = h.minute.getTime();
      const slots = h.m;
      let calls = 0;
      let errors = 0;
      for (const name in slots) {
        calls += slots[name].c;
        errors += slots[name].e;
      }
      if (!slots || calls !== h.calls || errors !== h.error_count) {
        // (One before the first whole hour is in the range read below.)
        if (wholeSince !== null) fromMinutes.push([Math.max(from, hour), Math.min(to, hour + HOUR)]);
        continue;
      }
      wholeSince ??= hour;
      for (const name in slots) {
        const at = hour + Number(name.slice(1)) * MINUTE;
        if (at < from || at >= to) continue;
        const slot = slots[name];
        windows.push({
          start: new Date(at),
          calls: slot.c,
          errors: slot.e,
          durationSumMs: slot.d,
          latency: slot.l ?? {},
          memoryMaxBytes: typeof slot.x === 'number' ? slot.x : null,
        });
      }
    }
    const before = Math.min(wholeSince ?? to, to);
    if (before > from) fromMinutes.unshift([from, before]);
    const read = await Promise.all(fromMinutes.map(([a, b]) => this.minutesIn(installationId, a, b, now)));
    for (const minutes of read) {
      for (const m of minutes) {
        windows.push({
          start: m.minute,
          calls: m.calls,
          errors: m.error_count,
          durationSumMs: m.duration_sum_ms,
          latency: m.latency ?? {},
          memoryMaxBytes: typeof m.memory_max_bytes === 'number' ? m.memory_max_bytes : null,
        });
      }
    }
    if (read.length > 0) windows.sort((a, b) => a.start.getTime() - b.start.getTime());
    return windows;
  }

  /** The day documents covering `[from, to)` with one level's slots (or only the given days). */
  private daysIn(
    installationId: string,
    from: number,
    to: number,
    now: Date,
    field: LevelField,
    only?: Date[],
  ): Promise<DayLean[]> {
    const day = only ? { $in: only } : { $gte: new Date(Math.floor(from / DAY) * DAY), $lt: new Date(to) };
    return this.days
      .find(
        { installation_id: installationId, day, expires_at: { $gt: now } },
        { _id: 0, day: 1, retention_ms: 1, [field]: 1 },
      )
      .lean<DayLean[]>()
      .exec();
  }

  private minutesIn(installationId: string, from: number, to: number, now: Date): Promise<BucketLean[]> {
    return this.minutes
      .find(
        {
          installation_id: installationId,
          minute: { $gte: new Date(from), $lt: new Date(to) },
          expires_at: { $gt: now },
        },
        { _id: 0, minute: 1, calls: 1, error_count: 1, duration_sum_ms: 1, latency: 1, memory_max_bytes: 1 },
      )
      .sort({ minute: 1 })
      .lean<BucketLean[]>()
      .exec();
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

/** Adds a bucket's figures to the increments (and high-water marks) of the slot at path `slot`. */
function addToSlot(entry: { inc: Record<string, number>; max: Record<string, number> }, slot: string, b: MinuteBucket) {
  const add = (field: string, n: number) => (entry.inc[field] = (entry.inc[field] ?? 0) + n);
  add(`${slot}.c`, b.calls);
  add(`${slot}.e`, b.errors);
  add(`${slot}.d`, b.durationSumMs);
  for (const [index, n] of Object.entries(b.latency)) add(`${slot}.l.${index}`, n);
  if (b.memoryMaxBytes !== null) entry.max[`${slot}.x`] = Math.max(entry.max[`${slot}.x`] ?? 0, b.memoryMaxBytes);
}

/**
 * Per installation and hour, the hour's totals (as a minute bucket's) and each minute as a slot `m.m<minute of the
 * hour>`: a 1-minute series reads 168 hour documents for 7 days instead of 10,080 minutes.
 */
function hourIncrementsOf(buckets: MinuteBucket[], retentionMs: number): AnyBulkWriteOperation<MetricHourDoc>[] {
  const slots = new Map<string, { inc: Record<string, number>; max: Record<string, number> }>();
  for (const b of buckets) {
    const minute = b.minute.getTime();
    const hour = Math.floor(minute / HOUR) * HOUR;
    const key = `${b.installationId}|${hour}`;
    let entry = slots.get(key);
    if (!entry) {
      entry = { inc: {}, max: {} };
      slots.set(key, entry);
    }
    addToSlot(entry, `m.m${(minute - hour) / MINUTE}`, b);
  }
  return foldBuckets(buckets, HOUR).map((h) => {
    const op = incrementsOf([h], retentionMs)[0] as { updateOne: { update: Record<string, Record<string, number>> } };
    const { inc, max } = slots.get(`${h.installationId}|${h.minute.getTime()}`)!;
    const update = op.updateOne.update;
    Object.assign(update.$inc, inc);
    if (Object.keys(max).length > 0) update.$max = { ...update.$max, ...max };
    return op as AnyBulkWriteOperation<MetricHourDoc>;
  });
}

/**
 * Per installation and day, one update adding every bucket to its 5-minute slot; a day is created with the
 * retention it is written with, and expires that long after its end.
 */
function dayIncrementsOf(buckets: MinuteBucket[], retentionMs: number): AnyBulkWriteOperation<MetricDayDoc>[] {
  const days = new Map<
    string,
    { b: MinuteBucket; day: number; inc: Record<string, number>; max: Record<string, number> }
  >();
  for (const b of buckets) {
    const minute = b.minute.getTime();
    const day = Math.floor(minute / DAY) * DAY;
    const key = `${b.installationId}|${day}`;
    let entry = days.get(key);
    if (!entry) {
      entry = { b, day, inc: {}, max: {} };
      days.set(key, entry);
    }
    const at = Math.floor(minute / SLOT) * SLOT - day;
    const levels = ['t.d', `h.h${Math.floor(at / HOUR)}`, `q.m${(Math.floor(at / QUARTER) * QUARTER) / MINUTE}`];
    for (const slot of [...levels, `s.m${at / MINUTE}`]) addToSlot(entry, slot, b);
  }
  return [...days.values()].map(({ b, day, inc, max }) => {
    const update: Record<string, unknown> = {
      $inc: inc,
      $setOnInsert: {
        plugin_key: b.pluginKey,
        retention_ms: retentionMs,
        expires_at: new Date(day + DAY + retentionMs),
      },
    };
    if (Object.keys(max).length > 0) update.$max = max;
    return { updateOne: { filter: { installation_id: b.installationId, day: new Date(day) }, update, upsert: true } };
  });
}

function windowOf(windows: Map<number, MetricWindow>, at: number, resolutionMs: number): MetricWindow {
  const start = Math.floor(at / resolutionMs) * resolutionMs;
  let w = windows.get(start);
  if (!w) {
    w = { start: new Date(start), calls: 0, errors: 0, durationSumMs: 0, latency: {}, memoryMaxBytes: null };
    windows.set(start, w);
  }
  return w;
}

function addTo(w: MetricWindow, slot: MetricSlot): void {
  w.calls += slot.c;
  w.errors += slot.e;
  w.durationSumMs += slot.d;
  if (slot.l) mergeCounts(w.latency, slot.l);
  if (typeof slot.x === 'number') w.memoryMaxBytes = Math.max(w.memoryMaxBytes ?? 0, slot.x);
}

/** Minute windows (oldest first) folded into windows of `resolutionMs`; at 1m they are the answer as they are. */
function fold(minutes: MetricWindow[], resolutionMs: number): MetricWindow[] {
  if (resolutionMs === MINUTE) return minutes;
  const windows: MetricWindow[] = [];
  let current: MetricWindow | undefined;
  for (const m of minutes) {
    const start = Math.floor(m.start.getTime() / resolutionMs) * resolutionMs;
    if (!current || current.start.getTime() !== start) {
      current = { start: new Date(start), calls: 0, errors: 0, durationSumMs: 0, latency: {}, memoryMaxBytes: null };
      windows.push(current);
    }
    addTo(current, { c: m.calls, e: m.errors, d: m.durationSumMs, l: m.latency, x: m.memoryMaxBytes ?? undefined });
  }
  return windows;
}
