import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ORG_ROLES, type OrgRole } from '@app/common';
import { Types } from 'mongoose';
import type { StoredInvitationStatus } from '../org.entity.js';
import { PropNullableDate, PropRequired, PropRequiredDate } from '@app/database';

const STORED_STATUSES: StoredInvitationStatus[] = ['pending', 'accepted', 'declined', 'revoked'];

@Schema({ collection: 'org_invitations', timestamps: { createdAt: 'created_at', updatedAt: false } })
export class InvitationDoc {
  @Prop({ type: Types.ObjectId, required: true })
  org_id: Types.ObjectId;

  /** A lower-cased email address or a user id, as the inviter gave it. */
  @PropRequired()
  invitee: string;

  @Prop({ type: String, enum: ORG_ROLES, required: true })
  role: OrgRole;

  /** sha256 of the token; the token itself is never stored. */
  @Prop({ required: true, unique: true })
  token_hash: string;

  @Prop({ type: String, enum: STORED_STATUSES, required: true })
  status: StoredInvitationStatus;

  @Prop({ type: Types.ObjectId, required: true })
  invited_by: Types.ObjectId;

  @PropRequiredDate()
  expires_at: Date;

  @PropNullableDate()
  responded_at: Date | null;

  created_at: Date;
}
export const InvitationSchema = SchemaFactory.createForClass(InvitationDoc);
// An organisation's invitations and an account's, newest first.
InvitationSchema.index({ org_id: 1, created_at: -1, _id: -1 });
InvitationSchema.index({ invitee: 1, created_at: -1, _id: -1 });
