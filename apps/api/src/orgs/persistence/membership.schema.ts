import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORG_ROLES, type OrgRole } from '@app/common';
import { Types } from 'mongoose';

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
