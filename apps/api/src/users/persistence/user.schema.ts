import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PLATFORM_ROLES, type PlatformRole } from '@app/common';
import type { HydratedDocument } from 'mongoose';
import { PropNullableDate, PropRequiredString } from '@app/database';

// Every @Prop names its type: the admin script loads this schema under tsx, which emits no decorator metadata.
@Schema({ collection: 'users', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class UserDoc {
  @Prop({ type: String, required: true, unique: true, lowercase: true, trim: true })
  email: string;

  /** Unique (sparse: accounts from before handles get theirs at the next start). */
  @Prop({ type: String })
  handle?: string;

  @PropRequiredString()
  name: string;

  @PropRequiredString()
  password_hash: string;

  @Prop({ type: [String], enum: PLATFORM_ROLES, default: ['user'] })
  roles: PlatformRole[];

  @Prop({ type: Boolean, default: true })
  is_active: boolean;

  @Prop({ type: Number, default: 0 })
  token_version: number;

  @PropNullableDate()
  last_login_at: Date | null;

  created_at: Date;
  updated_at: Date;
}

export type UserDocument = HydratedDocument<UserDoc>;
export const UserSchema = SchemaFactory.createForClass(UserDoc);
UserSchema.index({ roles: 1 });
UserSchema.index({ handle: 1 }, { unique: true, sparse: true });

/**
 * The publisher namespace: one document per name a plugin key may start with, claimed by a user's handle or an
 * organisation's slug. Its `_id` is the name, so the unique index decides between a user and an organisation that
 * want the same name at once.
 */
@Schema({ collection: 'publisher_names', timestamps: { createdAt: 'created_at', updatedAt: false } })
export class PublisherNameDoc {
  @PropRequiredString()
  _id: string;

  @Prop({ type: String, enum: ['user', 'org'], required: true })
  owner_type: 'user' | 'org';

  @PropRequiredString()
  owner_id: string;

  created_at: Date;
}
export const PublisherNameSchema = SchemaFactory.createForClass(PublisherNameDoc);
PublisherNameSchema.index({ owner_type: 1, owner_id: 1 });
