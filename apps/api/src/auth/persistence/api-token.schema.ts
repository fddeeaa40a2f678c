import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { TOKEN_SCOPES, type TokenScope } from '@app/common';
import { type HydratedDocument, Types } from 'mongoose';
import { PropNullableDate, PropRequired } from '@app/database';

/** API tokens are stored only as a SHA-256 of the key: the key itself is shown once, at creation. */
@Schema({ collection: 'api_tokens', timestamps: { createdAt: 'created_at', updatedAt: false } })
export class ApiTokenDoc {
  @Prop({ type: Types.ObjectId, required: true, index: true })
  user_id: Types.ObjectId;

  @PropRequired()
  name: string;

  @Prop({ required: true, unique: true })
  key_hash: string;

  /** The first characters of the key, so a user can tell tokens apart. */
  @PropRequired()
  key_prefix: string;

  @Prop({ type: [String], enum: TOKEN_SCOPES, default: [] })
  scopes: TokenScope[];

  @PropNullableDate()
  expires_at: Date | null;

  @PropNullableDate()
  last_used_at: Date | null;

  @PropNullableDate()
  revoked_at: Date | null;

  created_at: Date;
}

export type ApiTokenDocument = HydratedDocument<ApiTokenDoc>;
export const ApiTokenSchema = SchemaFactory.createForClass(ApiTokenDoc);
