import { type DynamicModule, Global, Module } from '@nestjs/common';
import { DatabaseModule } from '@app/database';
import { AuthModule } from './auth/auth.module.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { HealthModule } from './health/health.module.js';
import { MetaModule } from './meta/meta.module.js';
import { OrgsModule } from './orgs/orgs.module.js';
import { RegistryModule } from './registry/registry.module.js';
import { UsersModule } from './users/users.module.js';

@Global()
@Module({})
class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({
          uri: config.mongodbUri,
          dataDir: config.memoryDatabase ? null : config.dataDir,
        }),
        MetaModule,
        HealthModule,
        UsersModule,
        AuthModule,
        OrgsModule,
        RegistryModule,
      ],
    };
  }
}
