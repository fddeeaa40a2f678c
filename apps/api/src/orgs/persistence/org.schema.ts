import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

@Schema({ collection: 'organisations', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class OrganisationDoc {
  /** URL-safe unique handle, used as `{org}` in paths. */
  @Prop({ required: true, unique: true })
  slug: string;

  @Prop({ required: true })
  name: string;

  @Prop({ default: '' })
  description: string;

  @Prop({ type: Types.ObjectId, required: true })
  created_by: Types.ObjectId;

  created_at: Date;
  updated_at: Date;
}
export const OrganisationSchema = SchemaFactory.createForClass(OrganisationDoc);
