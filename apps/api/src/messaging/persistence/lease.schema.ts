import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Which API node hosts an installation: one document per installation (`_id` is its id), held by `node` until
 * `expires_at` and renewed while that node runs it. An expired lease may be taken by any node.
 */
@Schema({ collection: 'installation_leases', versionKey: false })
export class LeaseDoc {
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ type: String, required: true })
  node: string;

  @Prop({ type: Date, required: true })
  expires_at: Date;

  /** When this node took it (kept while it renews). */
  @Prop({ type: Date, required: true })
  acquired_at: Date;
}

export const LeaseSchema = SchemaFactory.createForClass(LeaseDoc);
LeaseSchema.index({ node: 1 });
LeaseSchema.index({ expires_at: 1 });
