import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PAGINATION_CONFIG } from '@app/common';
import type { AppConfig } from './app-config.js';

/**
 * One injection token per configuration slice. A module injects the slice it uses, never the whole config:
 *
 *   constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {}
 *
 * A new module adds its slice to AppConfig (validated in loadConfig), a token here and a line in `slices`.
 */
export const HTTP_CONFIG = Symbol('HTTP_CONFIG');
export const DATABASE_CONFIG = Symbol('DATABASE_CONFIG');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const USERS_CONFIG = Symbol('USERS_CONFIG');
export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
export const RUNTIME_CONFIG = Symbol('RUNTIME_CONFIG');
export const MESSAGING_CONFIG = Symbol('MESSAGING_CONFIG');
export const METRICS_CONFIG = Symbol('METRICS_CONFIG');
export const SECRETS_CONFIG = Symbol('SECRETS_CONFIG');
export const INSTALLATION_CONFIG = Symbol('INSTALLATION_CONFIG');
export const HEALTH_CONFIG = Symbol('HEALTH_CONFIG');
export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
export { PAGINATION_CONFIG };

const slices = (config: AppConfig) => [
  { provide: HTTP_CONFIG, useValue: config.http },
  { provide: DATABASE_CONFIG, useValue: config.database },
  { provide: AUTH_CONFIG, useValue: config.auth },
  { provide: USERS_CONFIG, useValue: config.users },
  { provide: PAGINATION_CONFIG, useValue: config.pagination },
  { provide: REGISTRY_CONFIG, useValue: config.registry },
  { provide: RUNTIME_CONFIG, useValue: config.runtime },
  { provide: MESSAGING_CONFIG, useValue: config.messaging },
  { provide: METRICS_CONFIG, useValue: config.metrics },
  { provide: SECRETS_CONFIG, useValue: config.secrets },
  { provide: INSTALLATION_CONFIG, useValue: config.installation },
  { provide: HEALTH_CONFIG, useValue: config.health },
  { provide: AUDIT_CONFIG, useValue: config.audit },
];

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = slices(config);
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
