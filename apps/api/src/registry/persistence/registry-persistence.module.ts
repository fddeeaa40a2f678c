import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PluginRatingRepository } from './plugin-rating.repository.js';
import { PluginReviewDoc, PluginReviewSchema } from './plugin-review.schema.js';
import { PluginVersionRepository } from './plugin-version.repository.js';
import { PluginVersionDoc, PluginVersionSchema } from './plugin-version.schema.js';
import { PluginRepository } from './plugin.repository.js';
import { PluginDoc, PluginSchema } from './plugin.schema.js';

/** The registry's three collections, one repository each. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: PluginDoc.name, schema: PluginSchema },
      { name: PluginVersionDoc.name, schema: PluginVersionSchema },
      { name: PluginReviewDoc.name, schema: PluginReviewSchema },
    ]),
  ],
  providers: [PluginRepository, PluginVersionRepository, PluginRatingRepository],
  exports: [PluginRepository, PluginVersionRepository, PluginRatingRepository],
})
export class RegistryPersistenceModule {}
