import type { KeyObject } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { MongooseModule } from '@nestjs/mongoose';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersModule } from '../users/users.module.js';
import { AdminBootstrap } from './admin-bootstrap.js';
import { ApiTokenRepository } from './api-token.repository.js';
import { ApiTokenDoc, ApiTokenSchema } from './api-token.schema.js';
import { AuthController } from './auth.controller.js';
import { GlobalAuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { ApiKeyStrategy, JwtStrategy } from './auth.strategies.js';
import { JWT_KEY, JwtKeyModule } from './auth.tokens.js';

@Module({
  imports: [
    UsersModule,
    PassportModule,
    MongooseModule.forFeature([{ name: ApiTokenDoc.name, schema: ApiTokenSchema }]),
    JwtKeyModule,
    JwtModule.registerAsync({
      imports: [JwtKeyModule],
      inject: [JWT_KEY, APP_CONFIG],
      useFactory: (key: KeyObject, config: AppConfig) => ({
        secret: key as unknown as string,
        signOptions: { algorithm: 'HS256', expiresIn: config.jwt.ttlSeconds },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    ApiTokenRepository,
    AuthService,
    JwtStrategy,
    ApiKeyStrategy,
    AdminBootstrap,
    { provide: APP_GUARD, useClass: GlobalAuthGuard },
  ],
  exports: [AuthService],
})
export class AuthModule {}
