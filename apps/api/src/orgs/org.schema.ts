import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORG_ROLES, type OrgRole } from '@app/common';
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

@Schema({ collection: 'memberships', timestamps: { createdAt: 'joined_at', updatedAt: false } })
export class MembershipDoc {
  @Prop({ type: Types.ObjectId, required: true })
  org_id: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true, index: true })
  user_id: Types.ObjectId;

  @Prop({ type: String, enum: ORG_ROLES, required: true })
  role: OrgRole;

  joined_at: Date;
}
export const MembershipSchema = SchemaFactory.createForClass(MembershipDoc);
MembershipSchema.index({ org_id: 1, user_id: 1 }, { unique: true });
