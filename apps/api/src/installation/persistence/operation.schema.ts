import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, Types } from 'mongoose';
import { OPERATION_KINDS, type OperationKind, type OperationPhase } from '../installation.entity.js';
import { PropNullableString, PropRequired, PropRequiredDate } from '@app/database';

/**
 * The operation journal: one document per multi-step operation in flight (install with dependencies, update,
 * uninstall), written before the first change and deleted after the last, so an empty collection means nothing
 * is half-made. `lock` is unique: one operation per target at a time, across nodes too.
 */
@Schema({ collection: 'installation_operations', timestamps: false })
export class OperationDoc {
  @Prop({ type: MongooseSchema.Types.ObjectId, required: true })
  _id: Types.ObjectId;

  @Prop({ type: String, enum: OPERATION_KINDS, required: true })
  kind: OperationKind;

  @PropRequired()
  lock: string;

  @Prop({ type: MongooseSchema.Types.Mixed, required: true })
  actor: Record<string, unknown>;

  @Prop({ type: String, enum: ['prepared', 'applied', 'done'], required: true })
  phase: OperationPhase;

  /** What each step does, with the installation document before it (to restore on rollback). */
  @Prop({ type: [MongooseSchema.Types.Mixed], default: [] })
  steps: Array<Record<string, unknown>>;

  @PropRequiredDate()
  created_at: Date;
}
export const OperationSchema = SchemaFactory.createForClass(OperationDoc);
OperationSchema.index({ lock: 1 }, { unique: true });

/**
 * First answers to requests sent with an Idempotency-Key, per caller and key, replayed to retries until they
 * expire (a TTL index on `expires_at`). `in_progress` while the first request runs, with a lease so a crashed
 * node's claim does not block the key for ever.
 */
@Schema({ collection: 'installation_idempotency_keys', timestamps: false })
export class IdempotencyDoc {
  /** sha256 of the caller id and the key. */
  @PropRequired()
  _id: string;

  @PropRequired()
  caller_id: string;

  /** sha256 of method, route, query and body: a different request under the same key is refused. */
  @PropRequired()
  fingerprint: string;

  @Prop({ type: String, enum: ['in_progress', 'done'], required: true })
  state: 'in_progress' | 'done';

  @Prop({ type: Number, default: null })
  status: number | null;

  /** The answer's body as JSON text (kept verbatim, whatever keys it has). */
  @PropNullableString()
  body: string | null;

  @PropRequiredDate()
  lease_until: Date;

  @PropRequiredDate()
  expires_at: Date;
}
export const IdempotencySchema = SchemaFactory.createForClass(IdempotencyDoc);
IdempotencySchema.index({ expires_at: 1 }, { expireAfterSeconds: 0 });
