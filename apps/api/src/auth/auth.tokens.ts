import { createSecretKey, type KeyObject } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, resolveJwtSecret } from '../config/app-config.js';

/** The HMAC key object for JWTs, derived once from the configured or generated secret. */
export const JWT_KEY = Symbol('JWT_KEY');

@Module({
  providers: [
    {
      provide: JWT_KEY,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): KeyObject => createSecretKey(Buffer.from(resolveJwtSecret(config))),
    },
  ],
  exports: [JWT_KEY],
})
export class JwtKeyModule {}
