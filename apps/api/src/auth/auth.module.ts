import type { KeyObject } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessModule } from './access.module.js';
import { ADMIN_CONSOLE, AdminBootstrap } from './admin-bootstrap.js';
import { ApiTokensService } from './api-tokens.service.js';
import { AuthController } from './auth.controller.js';
import { GlobalAuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { JWT_KEY, JwtKeyModule } from './auth.tokens.js';
import { LoginThrottle } from './login-throttle.js';
import { AuthPersistenceModule } from './persistence/auth-persistence.module.js';

@Module({
  imports: [
    AuthPersistenceModule,
    AccessModule,
    UsersModule,
    JwtKeyModule,
    JwtModule.registerAsync({
      imports: [JwtKeyModule],
      inject: [JWT_KEY, AUTH_CONFIG],
      useFactory: (key: KeyObject, config: AuthConfig) => ({
        secret: key as unknown as string,
        signOptions: { algorithm: 'HS256', expiresIn: config.jwt.ttlSeconds },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    ApiTokensService,
    LoginThrottle,
    AdminBootstrap,
    { provide: ADMIN_CONSOLE, useValue: (text: string) => process.stdout.write(text) },
    { provide: APP_GUARD, useClass: GlobalAuthGuard },
  ],
  exports: [AuthService, AccessModule],
})
export class AuthModule {}
