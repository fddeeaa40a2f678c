import { type DynamicModule, Global, Module } from '@nestjs/common';
import { PAGINATION_CONFIG } from '@app/common';
import type { AppConfig } from './app-config.js';

/** Each slice's token, by the slice's name in AppConfig (filled by `sliceToken` as the tokens below are made). */
const tokens = new Map<keyof AppConfig, symbol>([['pagination', PAGINATION_CONFIG]]);

function sliceToken(slice: keyof AppConfig): symbol {
  const token = Symbol(`${slice.toUpperCase()}_CONFIG`);
  tokens.set(slice, token);
  return token;
}

/**
 * One injection token per configuration slice. A module injects the slice it uses, never the whole config:
 *
 *   constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {}
 *
 * A new module adds its slice to AppConfig (validated in loadConfig) and one line here; ConfigModule provides it.
 */
export const HTTP_CONFIG = sliceToken('http');
export const DATABASE_CONFIG = sliceToken('database');
export const AUTH_CONFIG = sliceToken('auth');
export const USERS_CONFIG = sliceToken('users');
export const REGISTRY_CONFIG = sliceToken('registry');
export const RUNTIME_CONFIG = sliceToken('runtime');
export const MESSAGING_CONFIG = sliceToken('messaging');
export const METRICS_CONFIG = sliceToken('metrics');
export const SECRETS_CONFIG = sliceToken('secrets');
export const INSTALLATION_CONFIG = sliceToken('installation');
export const HEALTH_CONFIG = sliceToken('health');
export const AUDIT_CONFIG = sliceToken('audit');
export { PAGINATION_CONFIG };

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [...tokens].map(([slice, token]) => ({ provide: token, useValue: config[slice] }));
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
