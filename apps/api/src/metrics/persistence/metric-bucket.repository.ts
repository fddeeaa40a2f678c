import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { type AnyBulkWriteOperation, type Model, mongo, Types } from 'mongoose';
import { mergeCounts } from '../latency-histogram.js';
import { foldBuckets, type MetricWindow, type MinuteBucket } from '../metrics.entity.js';
import { addSlots, forEachPackedSlot, packSlots, unpackSlots } from '../packed-slots.js';
import {
  MetricBucketDoc,
  MetricDayDoc,
  MetricDayLevelDoc,
  MetricHourDoc,
  type DayLevel,
  type MetricSlot,
} from './metric-bucket.schema.js';

const MINUTE = 60_000;
const SLOT = 5 * MINUTE;
const QUARTER = 15 * MINUTE;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** One level of one day: its slots (packed and loose), and the retention the day was written with. */
interface DayLean {
  day: Date;
  retention_ms: number;
  slots?: Record<string, MetricSlot>;
  packed?: Uint8Array;
}
type LevelField = 't' | 'h' | DayLevel;
/**
 * The levels of a day, coarsest first: the day's total and its hours (in the day document), its quarter hours and
 * 5-minute slots (a document each).
 */
const LEVELS: Array<{ size: number; field: LevelField }> = [
  { size: DAY, field: 't' },
  { size: HOUR, field: 'h' },
  { size: QUARTER, field: 'q' },
  { size: SLOT, field: 's' },
];
const LEVEL_FIELDS: LevelField[] = ['t', 'h', 'q', 's'];
const DUPLICATE_KEY = 11000;

/** A batch of a start-up backfill. */
export interface BackfillBatch {
  /** Documents written. */
  updated: number;
  /** The last document's id (hex), to go on after; null when none was left. */
  last: string | null;
}

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
    @InjectModel(MetricDayLevelDoc.name) private readonly levels: Model<MetricDayLevelDoc>,
  ) {}

  /**
   * Adds each bucket's increments to its stored minute, to its hour, and to its day's total, hour, quarter hour and
   * 5-minute slot (each document created when missing): one round trip per collection.
   */
  async add(buckets: MinuteBucket[], retentionMs: number): Promise<void> {
    if (buckets.length === 0) return;
    const { days, levels } = dayIncrementsOf(buckets, retentionMs);
    await Promise.all([
      this.minutes.bulkWrite(incrementsOf(buckets, retentionMs), { ordered: false }),
      this.hours.bulkWrite(hourIncrementsOf(buckets, retentionMs), { ordered: false }),
      this.days.bulkWrite(days, { ordered: false }),
      this.levels.bulkWrite(levels, { ordered: false }),
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
        const unit = LEVEL_UNIT[field];
        const fold = (offset: number, slot: MetricSlot) => {
          const at = day + offset * unit;
          if (at < from || at >= until) return;
          // A day's first slot still retained means all of it is; 5-minute slots are checked one by one, and
          // one that is partly past its retention is read from its minutes, as the minute series shows it.
          if (field === 's' && at + d.retention_ms <= nowMs) {
            if (at + SLOT - MINUTE + d.retention_ms > nowMs && !edges.includes(at)) edges.push(at);
            return;
          }
          addToWindow(windows, at, resolutionMs, slot);
        };
        if (d.packed) forEachPackedSlot(d.packed, fold);
        const slots = d.slots;
        // for…in, not Object.entries: a 5-minute series over 30 days walks 8,640 slots.
        for (const name in slots) fold(Number(name.slice(1)), slots[name]);
      }
    };
    const foldMinutes = (minutes: BucketLean[]) => {
      for (const m of minutes) {
        addToWindow(windows, m.minute.getTime(), resolutionMs, {
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
        windows.push(windowOf(at, slots[name]));
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
    // Oldest first: an hour's slots are in the order their minutes were first flushed, not in time order.
    windows.sort((a, b) => a.start.getTime() - b.start.getTime());
    return windows;
  }

  /** One level of the days covering `[from, to)` (or of only the given days). */
  private async daysIn(
    installationId: string,
    from: number,
    to: number,
    now: Date,
    field: LevelField,
    only?: Date[],
  ): Promise<DayLean[]> {
    const day = only ? { $in: only } : { $gte: new Date(Math.floor(from / DAY) * DAY), $lt: new Date(to) };
    if (field === 'q' || field === 's') {
      const levels = await this.levels
        .find(
          { installation_id: installationId, level: field, day, expires_at: { $gt: now } },
          { _id: 0, day: 1, retention_ms: 1, slots: 1, packed: 1 },
        )
        .lean<Array<Omit<DayLean, 'packed'> & { packed?: unknown }>>()
        .exec();
      return levels.map((l) => ({ ...l, packed: bytesOf(l.packed) }));
    }
    const days = await this.days
      .find(
        { installation_id: installationId, day, expires_at: { $gt: now } },
        { _id: 0, day: 1, retention_ms: 1, [field]: 1 },
      )
      .lean<Array<Pick<MetricDayDoc, 'day' | 'retention_ms' | 't' | 'h'>>>()
      .exec();
    return days.map((d) => ({ day: d.day, retention_ms: d.retention_ms, slots: d[field] }));
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

  /**
   * Moves the quarter hours and 5-minute slots of up to `limit` day documents written before the split (in id
   * order after `after`) into their level documents, adding them to what live writes put there since, then
   * removes them from the day. Idempotent and resumable: a level document lists each day added into it (`from`),
   * so a day is added once even when a run stopped between its levels, or two nodes move it at once.
   */
  async splitDays(after: string | null, limit: number): Promise<BackfillBatch> {
    const filter: Record<string, unknown> = { $or: [{ q: { $exists: true } }, { s: { $exists: true } }] };
    if (after) filter._id = { $gt: new Types.ObjectId(after) };
    const days = await this.days
      .find(filter)
      .sort({ _id: 1 })
      .limit(limit)
      .lean<Array<MetricDayDoc & { _id: Types.ObjectId }>>()
      .exec();
    if (days.length === 0) return { updated: 0, last: null };
    for (const d of days) {
      for (const level of ['q', 's'] as const) {
        const slots = d[level];
        if (!slots) continue;
        const part: SlotUpdate = { inc: {}, max: {} };
        for (const name in slots) addToSlot(part, `slots.${name}`, slots[name]);
        const update: Record<string, unknown> = {
          $inc: { ...part.inc, w: 1 },
          $push: { from: d._id },
          $setOnInsert: { plugin_key: d.plugin_key, retention_ms: d.retention_ms, expires_at: d.expires_at },
        };
        if (Object.keys(part.max).length > 0) update.$max = part.max;
        try {
          await this.levels
            .updateOne({ installation_id: d.installation_id, level, day: d.day, from: { $ne: d._id } }, update, {
              upsert: true,
            })
            .exec();
        } catch (err) {
          // The level document lists this day already: the upsert's insert meets the one that holds it.
          if ((err as { code?: unknown }).code !== DUPLICATE_KEY) throw err;
        }
      }
      await this.days.updateOne({ _id: d._id }, { $unset: { q: 1, s: 1 } }).exec();
    }
    return { updated: days.length, last: days[days.length - 1]._id.toHexString() };
  }

  /**
   * Packs the slots of up to `limit` level documents of days that ended before `settledBefore` (in id order after
   * `after`) into their `packed` value, added to what it held. A document is replaced only if no write landed on
   * it since it was read (its write count `w` unchanged); one that was written to in between is left as it is and
   * packed at a later run. Idempotent: a packed document has no loose slots to pack.
   */
  async packLevels(after: string | null, limit: number, settledBefore: Date): Promise<BackfillBatch> {
    const filter: Record<string, unknown> = {
      slots: { $exists: true },
      day: { $lt: new Date(settledBefore.getTime() - DAY) },
    };
    if (after) filter._id = { $gt: new Types.ObjectId(after) };
    const levels = await this.levels
      .find(filter, { slots: 1, packed: 1, w: 1 })
      .sort({ _id: 1 })
      .limit(limit)
      .lean<Array<Pick<MetricDayLevelDoc, 'slots' | 'w'> & { _id: Types.ObjectId; packed?: unknown }>>()
      .exec();
    if (levels.length === 0) return { updated: 0, last: null };
    let updated = 0;
    for (const level of levels) {
      const packed = packSlots(levelSlotsOf(level) ?? {});
      const result = await this.levels
        .updateOne(
          { _id: level._id, w: level.w ?? null },
          {
            $set: { packed: Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength) },
            $unset: { slots: 1 },
          },
        )
        .exec();
      updated += result.modifiedCount;
    }
    return { updated, last: levels[levels.length - 1]._id.toHexString() };
  }

  /** The installations with minutes stored, and the oldest minute of each. */
  async minuteInstallations(): Promise<Array<{ installationId: string; oldest: Date }>> {
    const ids = await this.minutes.distinct('installation_id').exec();
    const oldest = await Promise.all(
      ids.map((id) =>
        this.minutes
          .findOne({ installation_id: id }, { _id: 0, minute: 1 })
          .sort({ minute: 1 })
          .lean<{ minute: Date }>()
          .exec(),
      ),
    );
    return ids.flatMap((installationId, i) => {
      const first = oldest[i];
      return first ? [{ installationId, oldest: first.minute }] : [];
    });
  }

  /**
   * Adds to each level of an installation's day what its retained minutes hold and the level lacks: minutes
   * written before hour and day documents existed are in no level. Slot by slot, where the minutes add up to more
   * calls than the slot holds, the difference (calls, errors, duration, latency counts; the memory mark as a
   * maximum) is added, level by level, so the day's series at every resolution shows what its minutes do. A slot
   * is never lowered (minutes expire one by one, a day as a whole). Idempotent: once added, a slot holds what its
   * minutes do. For days live writes are past only (their increments would race the comparison); a day still
   * holding pre-split levels is left for splitDays (answers null). The number of slots added to.
   */
  async fillDayFromMinutes(installationId: string, day: Date, now: Date): Promise<number | null> {
    const start = day.getTime();
    const [minutes, dayDoc, levelDocs] = await Promise.all([
      this.minutes
        .find(
          {
            installation_id: installationId,
            minute: { $gte: day, $lt: new Date(start + DAY) },
            expires_at: { $gt: now },
          },
          {
            _id: 0,
            plugin_key: 1,
            minute: 1,
            calls: 1,
            error_count: 1,
            duration_sum_ms: 1,
            latency: 1,
            memory_max_bytes: 1,
            expires_at: 1,
          },
        )
        .lean<Array<BucketLean & Pick<MetricBucketDoc, 'plugin_key' | 'expires_at'>>>()
        .exec(),
      this.days.findOne({ installation_id: installationId, day }).lean<MetricDayDoc>().exec(),
      this.levels
        .find({ installation_id: installationId, day }, { _id: 0, level: 1, slots: 1, packed: 1 })
        .lean<Array<Pick<MetricDayLevelDoc, 'level' | 'slots'> & { packed?: unknown }>>()
        .exec(),
    ]);
    if (dayDoc && (dayDoc.q || dayDoc.s)) return null;
    if (minutes.length === 0) return 0;
    const sums: Record<LevelField, Record<string, MetricSlot>> = { t: {}, h: {}, q: {}, s: {} };
    for (const m of minutes) {
      const names = slotNames(m.minute.getTime() - start);
      for (const level of LEVEL_FIELDS) {
        const sum = (sums[level][names[level]] ??= { c: 0, e: 0, d: 0, l: {} });
        sum.c += m.calls;
        sum.e += m.error_count;
        sum.d += m.duration_sum_ms;
        if (m.latency) mergeCounts(sum.l!, m.latency);
        if (typeof m.memory_max_bytes === 'number') sum.x = Math.max(sum.x ?? 0, m.memory_max_bytes);
      }
    }
    const stored: Record<LevelField, Record<string, MetricSlot> | undefined> = {
      t: dayDoc?.t,
      h: dayDoc?.h,
      q: levelSlotsOf(levelDocs.find((l) => l.level === 'q')),
      s: levelSlotsOf(levelDocs.find((l) => l.level === 's')),
    };
    const parts: Record<'day' | DayLevel, SlotUpdate> = {
      day: { inc: {}, max: {} },
      q: { inc: {}, max: {} },
      s: { inc: {}, max: {} },
    };
    let filled = 0;
    for (const level of LEVEL_FIELDS) {
      for (const name in sums[level]) {
        const sum = sums[level][name];
        const have = stored[level]?.[name];
        if (sum.c <= (have?.c ?? 0)) continue;
        const lacking: MetricSlot = {
          c: sum.c - (have?.c ?? 0),
          e: Math.max(0, sum.e - (have?.e ?? 0)),
          d: Math.max(0, sum.d - (have?.d ?? 0)),
          l: {},
          x: sum.x,
        };
        for (const index in sum.l) {
          const n = sum.l[index] - (have?.l?.[index] ?? 0);
          if (n > 0) lacking.l![index] = n;
        }
        const path = level === 't' || level === 'h' ? `${level}.${name}` : `slots.${name}`;
        addToSlot(parts[level === 't' || level === 'h' ? 'day' : level], path, lacking);
        filled++;
      }
    }
    if (filled === 0) return 0;
    const first = minutes[0];
    const retention = first.expires_at.getTime() - first.minute.getTime();
    const insert = {
      plugin_key: first.plugin_key,
      retention_ms: retention,
      expires_at: new Date(start + DAY + retention),
    };
    const at = { installation_id: installationId, day };
    const writes: Array<Promise<unknown>> = [];
    if (Object.keys(parts.day.inc).length > 0) writes.push(this.days.bulkWrite([upsertOf(at, parts.day, insert)]));
    const levelOps = (['q', 's'] as const)
      .filter((level) => Object.keys(parts[level].inc).length > 0)
      .map((level) => upsertOf<MetricDayLevelDoc>({ ...at, level }, counted(parts[level]), insert));
    if (levelOps.length > 0) writes.push(this.levels.bulkWrite(levelOps, { ordered: false }));
    await Promise.all(writes);
    return filled;
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

/** A minute bucket's figures as a slot. */
function slotOf(b: MinuteBucket): MetricSlot {
  const slot: MetricSlot = { c: b.calls, e: b.errors, d: b.durationSumMs, l: b.latency };
  if (b.memoryMaxBytes !== null) slot.x = b.memoryMaxBytes;
  return slot;
}

interface SlotUpdate {
  inc: Record<string, number>;
  max: Record<string, number>;
}

/** Adds a slot's figures to the increments (and high-water marks) of the slot at path `path`. */
function addToSlot(entry: SlotUpdate, path: string, slot: MetricSlot) {
  const add = (field: string, n: number) => (entry.inc[field] = (entry.inc[field] ?? 0) + n);
  add(`${path}.c`, slot.c);
  add(`${path}.e`, slot.e);
  add(`${path}.d`, slot.d);
  for (const index in slot.l) add(`${path}.l.${index}`, slot.l[index]);
  if (typeof slot.x === 'number') entry.max[`${path}.x`] = Math.max(entry.max[`${path}.x`] ?? 0, slot.x);
}

/**
 * Per installation and hour, the hour's totals (as a minute bucket's) and each minute as a slot `m.m<minute of the
 * hour>`: a 1-minute series reads 168 hour documents for 7 days instead of 10,080 minutes.
 */
function hourIncrementsOf(buckets: MinuteBucket[], retentionMs: number): AnyBulkWriteOperation<MetricHourDoc>[] {
  const hours = periodsOf(buckets, HOUR, ['m'], (at) => [['m', `m.m${at / MINUTE}`]]);
  return foldBuckets(buckets, HOUR).map((h) => {
    const op = incrementsOf([h], retentionMs)[0] as { updateOne: { update: Record<string, Record<string, number>> } };
    const { inc, max } = hours.get(periodKey(h.installationId, h.minute.getTime()))!.parts.m;
    const update = op.updateOne.update;
    Object.assign(update.$inc, inc);
    if (Object.keys(max).length > 0) update.$max = { ...update.$max, ...max };
    return op as AnyBulkWriteOperation<MetricHourDoc>;
  });
}

/** One installation's increments within one hour or day: the first bucket seen, the start, each part's. */
interface PeriodIncrements<P extends string> {
  b: MinuteBucket;
  start: number;
  parts: Record<P, SlotUpdate>;
}

const periodKey = (installationId: string, start: number) => `${installationId}|${start}`;

/**
 * The buckets grouped per installation and period of `size` (an hour, a day; keyed by periodKey, in the order each
 * period first appears), every bucket's figures added to the slots `pathsOf` names for it (`at`: its offset in the
 * period).
 */
function periodsOf<P extends string>(
  buckets: MinuteBucket[],
  size: number,
  parts: readonly P[],
  pathsOf: (at: number) => Array<[P, string]>,
): Map<string, PeriodIncrements<P>> {
  const byPeriod = new Map<string, PeriodIncrements<P>>();
  for (const b of buckets) {
    const minute = b.minute.getTime();
    const start = Math.floor(minute / size) * size;
    const key = periodKey(b.installationId, start);
    let entry = byPeriod.get(key);
    if (!entry) {
      const empty = {} as Record<P, SlotUpdate>;
      for (const part of parts) empty[part] = { inc: {}, max: {} };
      entry = { b, start, parts: empty };
      byPeriod.set(key, entry);
    }
    const slot = slotOf(b);
    for (const [part, path] of pathsOf(minute - start)) addToSlot(entry.parts[part], path, slot);
  }
  return byPeriod;
}

/** The slot names of a minute in each level of its day (`at`: the minute's offset from the start of the day). */
function slotNames(at: number): Record<LevelField, string> {
  const slot = Math.floor(at / SLOT) * SLOT;
  return {
    t: 'd',
    h: `h${Math.floor(at / HOUR)}`,
    q: `m${(Math.floor(at / QUARTER) * QUARTER) / MINUTE}`,
    s: `m${slot / MINUTE}`,
  };
}

/** The upsert adding `inc` and `max` to the document `filter` names, created with `insert` when missing. */
function upsertOf<T extends mongo.Document>(
  filter: Record<string, unknown>,
  part: SlotUpdate,
  insert: Record<string, unknown>,
): AnyBulkWriteOperation<T> {
  const update: Record<string, unknown> = { $inc: part.inc, $setOnInsert: insert };
  if (Object.keys(part.max).length > 0) update.$max = part.max;
  return { updateOne: { filter, update, upsert: true } };
}

/**
 * Per installation and day, one update adding every bucket to the day's total and hour, one to its quarter hour
 * and one to its 5-minute slot (the level documents); a day is created with the retention it is written with,
 * and expires that long after its end.
 */
function dayIncrementsOf(
  buckets: MinuteBucket[],
  retentionMs: number,
): { days: AnyBulkWriteOperation<MetricDayDoc>[]; levels: AnyBulkWriteOperation<MetricDayLevelDoc>[] } {
  const byDay = periodsOf(buckets, DAY, ['day', 'q', 's'] as const, (at) => {
    const names = slotNames(at);
    return [
      ['day', `t.${names.t}`],
      ['day', `h.${names.h}`],
      ['q', `slots.${names.q}`],
      ['s', `slots.${names.s}`],
    ];
  });
  const days: AnyBulkWriteOperation<MetricDayDoc>[] = [];
  const levels: AnyBulkWriteOperation<MetricDayLevelDoc>[] = [];
  for (const { b, start, parts } of byDay.values()) {
    const insert = {
      plugin_key: b.pluginKey,
      retention_ms: retentionMs,
      expires_at: new Date(start + DAY + retentionMs),
    };
    const at = { installation_id: b.installationId, day: new Date(start) };
    days.push(upsertOf(at, parts.day, insert));
    for (const level of ['q', 's'] as const) levels.push(upsertOf({ ...at, level }, counted(parts[level]), insert));
  }
  return { days, levels };
}

/** A level document's update that also counts itself in `w` (see packLevels). */
function counted(part: SlotUpdate): SlotUpdate {
  return { inc: { ...part.inc, w: 1 }, max: part.max };
}

/** A binary value as read back (a BSON Binary, or bytes), as its bytes; undefined when there is none. */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof mongo.Binary) return value.buffer.subarray(0, value.position);
  return undefined;
}

/** A level document's slots, packed and loose, as one `slots` record. */
function levelSlotsOf(
  level: { slots?: Record<string, MetricSlot>; packed?: unknown } | undefined,
): Record<string, MetricSlot> | undefined {
  if (!level) return undefined;
  const packed = bytesOf(level.packed);
  if (!packed) return level.slots;
  return addSlots(unpackSlots(packed), level.slots ?? {});
}

/**
 * Adds a slot read back to the window of `resolutionMs` holding `at`. A window's first slot is taken as it is (its
 * latency counts become the window's, added to from then on: read-back slots are used once), so a series whose
 * windows are its slots (5m from 5-minute slots, 15m from quarter hours) copies no histogram.
 */
function addToWindow(windows: Map<number, MetricWindow>, at: number, resolutionMs: number, slot: MetricSlot): void {
  const start = Math.floor(at / resolutionMs) * resolutionMs;
  const w = windows.get(start);
  if (w) return addTo(w, slot);
  windows.set(start, windowOf(start, slot));
}

/** The window starting at `start` that holds one slot read back (its latency counts taken as they are). */
function windowOf(start: number, slot: MetricSlot): MetricWindow {
  return {
    start: new Date(start),
    calls: slot.c,
    errors: slot.e,
    durationSumMs: slot.d,
    latency: slot.l ?? {},
    memoryMaxBytes: typeof slot.x === 'number' ? slot.x : null,
  };
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
