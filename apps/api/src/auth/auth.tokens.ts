import { createSecretKey, type KeyObject } from 'node:crypto';
import { Module } from '@nestjs/common';
import { type AuthConfig, resolveJwtSecret } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config.module.js';

/** The HMAC key object for JWTs, derived once from the configured or generated secret. */
export const JWT_KEY = Symbol('JWT_KEY');

@Module({
  providers: [
    {
      provide: JWT_KEY,
      inject: [AUTH_CONFIG],
      useFactory: (config: AuthConfig): KeyObject => createSecretKey(Buffer.from(resolveJwtSecret(config))),
    },
  ],
  exports: [JWT_KEY],
})
export class JwtKeyModule {}
