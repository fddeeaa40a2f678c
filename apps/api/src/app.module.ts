import { type DynamicModule, Module } from '@nestjs/common';
import { CommonModule, type JsonLogger } from '@app/common';
import { DatabaseModule } from '@app/database';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { ConfigurationModule } from './configuration/configuration.module.js';
import { HealthModule } from './health/health.module.js';
import { InstallationDirectoryModule } from './installation/installation-directory.module.js';
import { InstallationModule } from './installation/installation.module.js';
import { LeasePlacementModule, LeasesModule } from './messaging/leases.module.js';
import { MessagingModule } from './messaging/messaging.module.js';
import { MetaModule } from './meta/meta.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OrgsModule } from './orgs/orgs.module.js';
import { PermissionsModule } from './permissions/permissions.module.js';
import { PluginEndpointsModule } from './plugin-endpoints/plugin-endpoints.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { RuntimeModule } from './runtime/runtime.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  /** The whole application for one validated configuration, logging through `logger`. */
  static forRoot(config: AppConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule.forRoot({ logger }),
        DatabaseModule.forRoot(config.database),
        MetaModule,
        HealthModule,
        UsersModule,
        AuthModule,
        OrgsModule,
        RegistryModule,
        RuntimeModule,
        MetricsModule,
        MessagingModule,
        LeasePlacementModule,
        InstallationModule,
        LeasesModule,
        InstallationDirectoryModule,
        ConfigurationModule,
        PermissionsModule,
        AdminModule,
        PluginEndpointsModule,
      ],
    };
  }
}
