import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';
import { AUDIT_ACTOR_KINDS, AUDIT_OUTCOMES, type AuditActorKind, type AuditOutcome } from '../admin.entity.js';
import {
  PropNullableDate,
  PropNullableMixed,
  PropNullableString,
  PropRequiredDate,
  PropRequiredString,
  PropStringList,
} from '@app/database';

@Schema({ _id: false, minimize: false })
export class AuditActorDoc {
  @Prop({ type: String, enum: AUDIT_ACTOR_KINDS, required: true })
  kind: AuditActorKind;

  @PropNullableString()
  user_id: string | null;

  @PropStringList()
  roles: string[];

  @PropNullableString()
  token_id: string | null;

  @PropNullableString()
  component: string | null;

  @PropNullableString()
  claimed: string | null;
}
const AuditActorSchema = SchemaFactory.createForClass(AuditActorDoc);

@Schema({ _id: false })
export class AuditTargetDoc {
  @PropRequiredString()
  type: string;

  @PropNullableString()
  id: string | null;
}
const AuditTargetSchema = SchemaFactory.createForClass(AuditTargetDoc);

/**
 * One audit entry. Append-only: the writer inserts, pruning deletes the oldest; nothing updates an entry. `seq`
 * is unique, which is what keeps one writer at a time on the chain across nodes: two nodes appending after the
 * same head collide on the index, and the loser re-reads the head and links after the winner. `minimize: false`
 * so an empty object reads back as stored (the hash covers it).
 */
@Schema({ collection: 'audit_entries', minimize: false, versionKey: false })
export class AuditEntryDoc {
  @Prop({ type: Number, required: true, unique: true })
  seq: number;

  @PropRequiredString()
  prev_hash: string;

  @PropRequiredString()
  hash: string;

  @PropRequiredDate()
  at: Date;

  @PropRequiredString()
  action: string;

  @Prop({ type: AuditActorSchema, required: true })
  actor: AuditActorDoc;

  @Prop({ type: AuditTargetSchema, required: true })
  target: AuditTargetDoc;

  @PropNullableString()
  org_id: string | null;

  @Prop({ type: String, enum: AUDIT_OUTCOMES, required: true })
  outcome: AuditOutcome;

  @Prop({ type: Number, default: null })
  status: number | null;

  @PropNullableString()
  method: string | null;

  @PropNullableString()
  path: string | null;

  @PropNullableString()
  request_id: string | null;

  @PropNullableString()
  ip: string | null;

  @PropNullableString()
  user_agent: string | null;

  @PropNullableMixed()
  before: unknown;

  @PropNullableMixed()
  after: unknown;

  @Prop({ type: MongooseSchema.Types.Mixed, default: {} })
  details: Record<string, unknown>;
}
export const AuditEntrySchema = SchemaFactory.createForClass(AuditEntryDoc);
// The filters of GET /api/admin/audit/ and /api/org/audit/, newest first.
AuditEntrySchema.index({ at: -1 });
AuditEntrySchema.index({ request_id: 1 });
AuditEntrySchema.index({ 'actor.user_id': 1, seq: -1 });
AuditEntrySchema.index({ action: 1, seq: -1 });
AuditEntrySchema.index({ org_id: 1, seq: -1 });
AuditEntrySchema.index({ 'target.type': 1, 'target.id': 1, seq: -1 });

/** The start of the kept part of the chain (one document, `_id: 'chain'`), moved forward by pruning. */
@Schema({ collection: 'audit_anchor', versionKey: false })
export class AuditAnchorDoc {
  @Prop({ type: String })
  _id: string;

  @Prop({ type: Number, required: true })
  seq: number;

  @PropRequiredString()
  prev_hash: string;

  @PropNullableDate()
  pruned_at: Date | null;

  @Prop({ type: Number, default: 0 })
  pruned: number;
}
export const AuditAnchorSchema = SchemaFactory.createForClass(AuditAnchorDoc);
