import { Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropRequiredDate, PropRequiredString } from '@app/database';

/**
 * Which API node hosts an installation: one document per installation (`_id` is its id), held by `node` until
 * `expires_at` and renewed while that node runs it. An expired lease may be taken by any node.
 */
@Schema({ collection: 'installation_leases', versionKey: false })
export class LeaseDoc {
  @PropRequiredString()
  _id: string;

  @PropRequiredString()
  node: string;

  @PropRequiredDate()
  expires_at: Date;

  /** When this node took it (kept while it renews). */
  @PropRequiredDate()
  acquired_at: Date;
}

export const LeaseSchema = SchemaFactory.createForClass(LeaseDoc);
LeaseSchema.index({ node: 1 });
LeaseSchema.index({ expires_at: 1 });
