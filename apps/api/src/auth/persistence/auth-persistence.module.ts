import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiTokenRepository } from './api-token.repository.js';
import { ApiTokenDoc, ApiTokenSchema } from './api-token.schema.js';
import { LoginFailureRepository } from './login-failure.repository.js';
import { LoginFailureDoc, LoginFailureSchema } from './login-failure.schema.js';

@Module({
  imports: [
    MongooseModule.forFeature([
      { name: ApiTokenDoc.name, schema: ApiTokenSchema },
      { name: LoginFailureDoc.name, schema: LoginFailureSchema },
    ]),
  ],
  providers: [ApiTokenRepository, LoginFailureRepository],
  exports: [ApiTokenRepository, LoginFailureRepository],
})
export class AuthPersistenceModule {}
