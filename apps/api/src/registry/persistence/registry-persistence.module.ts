import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { PluginRatingRepository } from './plugin-rating.repository.js';
import { PluginReviewDoc, PluginReviewSchema } from './plugin-review.schema.js';
import { PluginVersionRepository } from './plugin-version.repository.js';
import { PluginVersionDoc, PluginVersionSchema } from './plugin-version.schema.js';
import { PluginRepository } from './plugin.repository.js';
import { PluginDoc, PluginSchema } from './plugin.schema.js';
import { RegistryWriteEpoch } from './registry-epoch.js';
import { RegistryEpochDoc, RegistryEpochSchema } from './registry-epoch.schema.js';

/** The registry's three collections, one repository each, and the write epoch its caches are kept by. */
@Module(
  persistenceModule({
    models: [
      [PluginDoc, PluginSchema],
      [PluginVersionDoc, PluginVersionSchema],
      [PluginReviewDoc, PluginReviewSchema],
      [RegistryEpochDoc, RegistryEpochSchema],
    ],
    repositories: [PluginRepository, PluginVersionRepository, PluginRatingRepository, RegistryWriteEpoch],
  }),
)
export class RegistryPersistenceModule {}
