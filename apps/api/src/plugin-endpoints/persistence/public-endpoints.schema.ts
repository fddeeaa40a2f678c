import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { PropRequired } from '@app/database';

/** An administrator's switch for one installation's public endpoints (one document per installation). */
@Schema({ collection: 'plugin_public_endpoints', versionKey: false })
export class PublicEndpointsDoc {
  @Prop({ type: Types.ObjectId, required: true, unique: true })
  installation_id: Types.ObjectId;

  @PropRequired()
  plugin_key: string;

  @PropRequired()
  allowed: boolean;

  @Prop({ type: Types.ObjectId, required: true })
  set_by: Types.ObjectId;

  @PropRequired()
  set_at: Date;
}
export const PublicEndpointsSchema = SchemaFactory.createForClass(PublicEndpointsDoc);
