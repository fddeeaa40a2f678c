import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
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

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: MetricBucketDoc.name, schema: MetricBucketSchema },
      { name: MetricHourDoc.name, schema: MetricHourSchema },
      { name: MetricDayDoc.name, schema: MetricDaySchema },
      { name: MetricDayLevelDoc.name, schema: MetricDayLevelSchema },
      { name: PluginLogDoc.name, schema: PluginLogSchema },
      { name: BackfillMarkDoc.name, schema: BackfillMarkSchema },
    ]),
  ],
  providers: [MetricBucketRepository, PluginLogRepository, BackfillMarkRepository],
  exports: [MetricBucketRepository, PluginLogRepository, BackfillMarkRepository],
})
export class MetricsPersistenceModule {}
