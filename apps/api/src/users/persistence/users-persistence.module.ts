import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { PublisherNameRepository } from './publisher-name.repository.js';
import { UserRepository } from './user.repository.js';
import { PublisherNameDoc, PublisherNameSchema, UserDoc, UserSchema } from './user.schema.js';

/** The users and publisher_names collections and their repositories; nothing outside persistence/ sees a model. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: UserDoc.name, schema: UserSchema },
      { name: PublisherNameDoc.name, schema: PublisherNameSchema },
    ]),
  ],
  providers: [UserRepository, PublisherNameRepository],
  exports: [UserRepository, PublisherNameRepository],
})
export class UsersPersistenceModule {}
