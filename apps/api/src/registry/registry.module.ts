import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { INSTALLATION_LOOKUP, NoInstallationsLookup } from './installation-lookup.js';
import { PluginDoc, PluginSchema } from './plugin.schema.js';
import { PluginReviewDoc, PluginReviewSchema } from './plugin-review.schema.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import { PluginVersionDoc, PluginVersionSchema } from './plugin-version.schema.js';
import { RegistryController } from './registry.controller.js';
import { RegistryRepository } from './registry.repository.js';
import { RegistryService } from './registry.service.js';
import { RepositoriesController } from './repositories.controller.js';
import { ShippedPluginsLoader } from './shipped-plugins.loader.js';
import { VersionReviewService } from './version-review.service.js';

@Module({
  imports: [
    UsersModule,
    OrgsModule,
    MongooseModule.forFeature([
      { name: PluginDoc.name, schema: PluginSchema },
      { name: PluginVersionDoc.name, schema: PluginVersionSchema },
      { name: PluginReviewDoc.name, schema: PluginReviewSchema },
    ]),
  ],
  controllers: [RegistryController, RepositoriesController],
  providers: [
    RegistryRepository,
    RegistryService,
    PluginReviewsService,
    VersionReviewService,
    ShippedPluginsLoader,
    // The seam for the installation module: it will provide INSTALLATION_LOOKUP from its own state.
    { provide: INSTALLATION_LOOKUP, useClass: NoInstallationsLookup },
  ],
  exports: [RegistryService, VersionReviewService],
})
export class RegistryModule {}
