import { Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropDefault, PropRequiredString } from '@app/database';

/**
 * A counter every registry write moves (`_id: 'plugins'`), and one every download moves (`_id: 'downloads'`), so
 * each node can tell, with one read by `_id`, that another node changed the registry and drop what it cached from
 * it (registry-epoch.ts).
 */
@Schema({ collection: 'registry_epochs', versionKey: false })
export class RegistryEpochDoc {
  @PropRequiredString()
  _id: string;

  @PropDefault(0)
  n: number;
}
export const RegistryEpochSchema = SchemaFactory.createForClass(RegistryEpochDoc);
