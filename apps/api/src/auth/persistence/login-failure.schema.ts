import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropRequiredDate, PropRequiredString } from '@app/database';

/**
 * Failed logins counted per account and per client address, in fixed windows. `_id` is a SHA-256 of the counter's
 * key, so neither typed emails nor addresses are kept in clear; the TTL index drops a window once it is over.
 */
@Schema({ collection: 'login_failures', versionKey: false })
export class LoginFailureDoc {
  @PropRequiredString()
  _id: string;

  @Prop({ type: Number, required: true })
  count: number;

  @PropRequiredDate()
  reset_at: Date;
}
export const LoginFailureSchema = SchemaFactory.createForClass(LoginFailureDoc);
LoginFailureSchema.index({ reset_at: 1 }, { expireAfterSeconds: 0 });
