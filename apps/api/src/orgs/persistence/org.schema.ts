import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';
import { PropDefault, PropRequired } from '@app/database';

@Schema({ collection: 'organisations', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class OrganisationDoc {
  /** URL-safe unique handle, used as `{org}` in paths. */
  @Prop({ required: true, unique: true })
  slug: string;

  @PropRequired()
  name: string;

  @PropDefault('')
  description: string;

  @Prop({ type: Types.ObjectId, required: true })
  created_by: Types.ObjectId;

  created_at: Date;
  updated_at: Date;
}
export const OrganisationSchema = SchemaFactory.createForClass(OrganisationDoc);
