import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropRequired, PropRequiredDate, PropRequiredString } from '@app/database';

/** One document per key. `value` holds JSON text so plugin data never meets Mongo's key rules ($, dots). */
@Schema({ collection: 'plugin_storage', versionKey: false })
export class PluginStorageEntryDoc {
  /** `JSON.stringify([installation_id, key])`. */
  @PropRequiredString()
  _id: string;

  @PropRequired()
  installation_id: string;

  @PropRequired()
  key: string;

  @PropRequired()
  value: string;

  /** UTF-8 bytes of key + value: what the entry counts against the quota. */
  @PropRequired()
  size: number;

  @PropRequiredDate()
  updated_at: Date;
}
export const PluginStorageEntrySchema = SchemaFactory.createForClass(PluginStorageEntryDoc);
// Serves list(prefix) as a range scan of one installation's keys, in key order.
PluginStorageEntrySchema.index({ installation_id: 1, key: 1 }, { name: 'installation_key' });

/** One document per installation: the bytes its entries use, kept with every write so quota checks never scan. */
@Schema({ collection: 'plugin_storage_usage', versionKey: false })
export class PluginStorageUsageDoc {
  /** The installation id. */
  @PropRequiredString()
  _id: string;

  @Prop({ required: true, default: 0 })
  bytes: number;
}
export const PluginStorageUsageSchema = SchemaFactory.createForClass(PluginStorageUsageDoc);
