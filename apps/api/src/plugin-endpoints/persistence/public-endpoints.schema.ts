import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/** An administrator's switch for one installation's public endpoints (one document per installation). */
@Schema({ collection: 'plugin_public_endpoints', versionKey: false })
export class PublicEndpointsDoc {
  @Prop({ type: Types.ObjectId, required: true, unique: true })
  installation_id: Types.ObjectId;

  @Prop({ required: true })
  plugin_key: string;

  @Prop({ required: true })
  allowed: boolean;

  @Prop({ type: Types.ObjectId, required: true })
  set_by: Types.ObjectId;

  @Prop({ required: true })
  set_at: Date;
}
export const PublicEndpointsSchema = SchemaFactory.createForClass(PublicEndpointsDoc);
