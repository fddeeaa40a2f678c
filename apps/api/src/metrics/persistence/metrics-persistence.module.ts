import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { BackfillMarkRepository } from './backfill-mark.repository.js';
import { BackfillMarkDoc, BackfillMarkSchema } from './backfill-mark.schema.js';
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
import { PluginLogRepository } from './plugin-log.repository.js';
import { PluginLogDoc, PluginLogSchema } from './plugin-log.schema.js';

/** The metric buckets (minute, hour, day and day-level documents), the plugin logs and the backfill marks. */
@Module(
  persistenceModule({
    models: [
      [MetricBucketDoc, MetricBucketSchema],
      [MetricHourDoc, MetricHourSchema],
      [MetricDayDoc, MetricDaySchema],
      [MetricDayLevelDoc, MetricDayLevelSchema],
      [PluginLogDoc, PluginLogSchema],
      [BackfillMarkDoc, BackfillMarkSchema],
    ],
    repositories: [MetricBucketRepository, PluginLogRepository, BackfillMarkRepository],
  }),
)
export class MetricsPersistenceModule {}
