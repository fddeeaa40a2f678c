import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { UserRepository } from './user.repository.js';
import { UserDoc, UserSchema } from './user.schema.js';

/** The users collection and its repository; nothing outside persistence/ sees the model. */
@Module({
  imports: [MongooseModule.forFeature([{ name: UserDoc.name, schema: UserSchema }])],
  providers: [UserRepository],
  exports: [UserRepository],
})
export class UsersPersistenceModule {}
