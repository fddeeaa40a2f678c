import { Module } from '@nestjs/common';
import { AccessModule } from '../auth/access.module.js';
import { OrgsModule } from '../orgs/orgs.module.js';
import { UsersModule } from '../users/users.module.js';
import { CatalogService } from './catalog.service.js';
import { ModerationService } from './moderation.service.js';
import { RegistryPersistenceModule } from './persistence/registry-persistence.module.js';
import { PluginReviewsController } from './plugin-reviews.controller.js';
import { PluginReviewsService } from './plugin-reviews.service.js';
import { PluginStateService } from './plugin-state.service.js';
import { PluginVersionsController } from './plugin-versions.controller.js';
import { PluginVersionsService } from './plugin-versions.service.js';
import { PluginViews } from './plugin-views.js';
import { PluginsController } from './plugins.controller.js';
import { PublishingService } from './publishing.service.js';
import { RegistryAccess } from './registry-access.js';
import { RegistryInstallations } from './registry-installations.js';
import { RepositoriesController } from './repositories.controller.js';
import { RepositoriesService } from './repositories.service.js';
import { ShippedPluginsLoader } from './shipped-plugins.loader.js';

/**
 * The plugin registry. Exports what other modules call: PluginVersionsService.installables and .loadable
 * (installation: what a caller may install, what the runtime loads), ShippedPluginsLoader (installation's reload
 * with collect_plugins) and ModerationService (admin's review and verify endpoints). INSTALLATION_LOOKUP
 * (registry.ports.ts) is bound by the installation module, not here.
 */
@Module({
  imports: [RegistryPersistenceModule, UsersModule, OrgsModule, AccessModule],
  controllers: [PluginsController, PluginVersionsController, PluginReviewsController, RepositoriesController],
  providers: [
    RegistryAccess,
    RegistryInstallations,
    PluginViews,
    PluginStateService,
    PublishingService,
    CatalogService,
    PluginVersionsService,
    PluginReviewsService,
    ModerationService,
    RepositoriesService,
    ShippedPluginsLoader,
  ],
  exports: [PluginVersionsService, ModerationService, PublishingService, ShippedPluginsLoader],
})
export class RegistryModule {}
