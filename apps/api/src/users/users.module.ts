import { Module } from '@nestjs/common';
import { AccessModule } from '../auth/access.module.js';
import { USERS_CONFIG } from '../config/config.module.js';
import type { UsersConfig } from '../config/app-config.js';
import { PasswordHasher, ScryptPasswordHasher } from './password-hasher.js';
import { UsersPersistenceModule } from './persistence/users-persistence.module.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [UsersPersistenceModule, AccessModule],
  controllers: [UsersController],
  providers: [
    UsersService,
    {
      provide: PasswordHasher,
      inject: [USERS_CONFIG],
      useFactory: (config: UsersConfig) => new ScryptPasswordHasher({ concurrency: config.hashConcurrency }),
    },
  ],
  exports: [UsersService],
})
export class UsersModule {}
