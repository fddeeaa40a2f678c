import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PLATFORM_ROLES, type PlatformRole } from '@app/common';
import type { HydratedDocument } from 'mongoose';

@Schema({ collection: 'users', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class UserDoc {
  @Prop({ required: true, unique: true, lowercase: true, trim: true })
  email: string;

  @Prop({ required: true })
  name: string;

  @Prop({ required: true })
  password_hash: string;

  @Prop({ type: [String], enum: PLATFORM_ROLES, default: ['user'] })
  roles: PlatformRole[];

  @Prop({ default: true })
  is_active: boolean;

  @Prop({ type: Date, default: null })
  last_login_at: Date | null;

  created_at: Date;
  updated_at: Date;
}

export type UserDocument = HydratedDocument<UserDoc>;
export const UserSchema = SchemaFactory.createForClass(UserDoc);
UserSchema.index({ roles: 1 });
