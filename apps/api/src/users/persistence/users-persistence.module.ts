import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { PublisherNameRepository } from './publisher-name.repository.js';
import { UserRepository } from './user.repository.js';
import { PublisherNameDoc, PublisherNameSchema, UserDoc, UserSchema } from './user.schema.js';

/** The users and publisher_names collections and their repositories; nothing outside persistence/ sees a model. */
@Module(
  persistenceModule({
    models: [
      [UserDoc, UserSchema],
      [PublisherNameDoc, PublisherNameSchema],
    ],
    repositories: [UserRepository, PublisherNameRepository],
  }),
)
export class UsersPersistenceModule {}
