import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { ApiTokenRepository } from './api-token.repository.js';
import { ApiTokenDoc, ApiTokenSchema } from './api-token.schema.js';
import { LoginFailureRepository } from './login-failure.repository.js';
import { LoginFailureDoc, LoginFailureSchema } from './login-failure.schema.js';

/** The API tokens and the login failures. */
@Module(
  persistenceModule({
    models: [
      [ApiTokenDoc, ApiTokenSchema],
      [LoginFailureDoc, LoginFailureSchema],
    ],
    repositories: [ApiTokenRepository, LoginFailureRepository],
  }),
)
export class AuthPersistenceModule {}
