import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ApiTokenRepository } from './api-token.repository.js';
import { ApiTokenDoc, ApiTokenSchema } from './api-token.schema.js';

@Module({
  imports: [MongooseModule.forFeature([{ name: ApiTokenDoc.name, schema: ApiTokenSchema }])],
  providers: [ApiTokenRepository],
  exports: [ApiTokenRepository],
})
export class AuthPersistenceModule {}
