import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, type Types } from 'mongoose';
import { PropRequired, PropRequiredDate, PropRequiredString } from '@app/database';

/**
 * One installation's calls within one minute; increments land with `$inc`, so concurrent flushes (and several
 * API nodes) add up. No defaults: an upsert creates the fields it increments, and a default would collide with them.
 */
@Schema({ collection: 'plugin_metric_buckets', versionKey: false })
export class MetricBucketDoc {
  @PropRequired()
  installation_id: string;

  @PropRequired()
  plugin_key: string;

  /** Start of the minute (UTC). */
  @PropRequiredDate()
  minute: Date;

  @PropRequired()
  calls: number;

  @PropRequired()
  error_count: number;

  @PropRequired()
  duration_sum_ms: number;

  /** Latency histogram: bucket index → calls (see latency-histogram.ts). */
  @Prop({ type: MongooseSchema.Types.Mixed })
  latency: Record<string, number>;

  @Prop({ type: Number })
  memory_max_bytes?: number;

  /** Per hook: `{calls, errors, duration_sum_ms}`. */
  @Prop({ type: MongooseSchema.Types.Mixed })
  hooks: Record<string, { calls: number; errors: number; duration_sum_ms: number }>;

  /** When the TTL index removes it (minute + the retention at write time). */
  @PropRequiredDate()
  expires_at: Date;
}
export const MetricBucketSchema = SchemaFactory.createForClass(MetricBucketDoc);
// One bucket per installation and minute; also serves the range scans of a series.
MetricBucketSchema.index({ installation_id: 1, minute: 1 }, { name: 'installation_minute', unique: true });
MetricBucketSchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });

/** One slot of a day or hour document: calls, errors, duration sum, latency histogram, memory high-water mark. */
export interface MetricSlot {
  c: number;
  e: number;
  d: number;
  l?: Record<string, number>;
  x?: number;
}

/**
 * The same figures per installation and hour (`minute` holds the start of the hour), with each of its minutes as a
 * slot: 1-minute series read these (168 documents for 7 days instead of 10,080 minutes), the admin summary their
 * totals.
 */
@Schema({ collection: 'plugin_metric_hours', versionKey: false })
export class MetricHourDoc extends MetricBucketDoc {
  /** Its minutes, `m<minute of the hour>` → the minute's slot; hours written before they held minutes lack some. */
  @Prop({ type: MongooseSchema.Types.Mixed })
  m?: Record<string, MetricSlot>;
}
export const MetricHourSchema = SchemaFactory.createForClass(MetricHourDoc);
MetricHourSchema.index({ installation_id: 1, minute: 1 }, { name: 'installation_hour', unique: true });
MetricHourSchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
// Every installation's recent hours (the admin summary).
MetricHourSchema.index({ minute: 1 }, { name: 'hour' });

/**
 * The same figures per installation and UTC day, at two levels: `t.d` the day's total and `h.h<hour>` its hours
 * (series at 1d and 1h read one of them: 30 documents for 30 days). Its quarter hours and 5-minute slots are
 * documents of their own (MetricDayLevelDoc), so a series reads no more than its level. Days written before that
 * split also held `q` and `s`: the metric-levels backfill moves them out. What is past `retention_ms` (the
 * retention when the day was first written) is left out as the minutes are (see series).
 */
@Schema({ collection: 'plugin_metric_days', versionKey: false })
export class MetricDayDoc {
  @PropRequired()
  installation_id: string;

  @PropRequired()
  plugin_key: string;

  /** Start of the day (UTC). */
  @PropRequiredDate()
  day: Date;

  @PropRequired()
  retention_ms: number;

  @Prop({ type: MongooseSchema.Types.Mixed })
  t: Record<string, MetricSlot>;

  @Prop({ type: MongooseSchema.Types.Mixed })
  h: Record<string, MetricSlot>;

  /** Quarter hours of a day written before the split (the backfill moves them to a MetricDayLevelDoc). */
  @Prop({ type: MongooseSchema.Types.Mixed })
  q?: Record<string, MetricSlot>;

  /** 5-minute slots of a day written before the split (the backfill moves them to a MetricDayLevelDoc). */
  @Prop({ type: MongooseSchema.Types.Mixed })
  s?: Record<string, MetricSlot>;

  /** When the TTL index removes it: the retention after the day's end. */
  @PropRequiredDate()
  expires_at: Date;
}
export const MetricDaySchema = SchemaFactory.createForClass(MetricDayDoc);
MetricDaySchema.index({ installation_id: 1, day: 1 }, { name: 'installation_day', unique: true });
MetricDaySchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });

/**
 * One finer level of an installation's UTC day: `q`, its quarter hours (`slots.m<minute of the day>`, 96), or `s`,
 * its 5-minute slots (288). Series at 15m and 5m read one of them per day; once the day is settled its slots are
 * packed (`packed`). `from` lists the pre-split day documents
 * whose slots were added in (so the backfill adds each once); retention and expiry are the day's.
 */
@Schema({ collection: 'plugin_metric_day_levels', versionKey: false })
export class MetricDayLevelDoc {
  @PropRequired()
  installation_id: string;

  @PropRequired()
  plugin_key: string;

  @PropRequiredString()
  level: DayLevel;

  /** Start of the day (UTC). */
  @PropRequiredDate()
  day: Date;

  @PropRequired()
  retention_ms: number;

  /** Slots written since the level was last packed (all of them until then). */
  @Prop({ type: MongooseSchema.Types.Mixed })
  slots?: Record<string, MetricSlot>;

  /**
   * The slots of a settled day packed into one binary value (packed-slots.ts): a 30-day series decodes 30 of these
   * instead of walking thousands of sub-documents. Slots written after packing are in `slots` and add to these.
   */
  @Prop({ type: Buffer })
  packed?: Buffer;

  /** Writes to `slots` so far: packing replaces the slots only if none landed since it read them. */
  @Prop({ type: Number })
  w?: number;

  @Prop({ type: [MongooseSchema.Types.ObjectId], default: undefined })
  from?: Types.ObjectId[];

  @PropRequiredDate()
  expires_at: Date;
}
export type DayLevel = 'q' | 's';
export const MetricDayLevelSchema = SchemaFactory.createForClass(MetricDayLevelDoc);
MetricDayLevelSchema.index({ installation_id: 1, level: 1, day: 1 }, { name: 'installation_level_day', unique: true });
MetricDayLevelSchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
