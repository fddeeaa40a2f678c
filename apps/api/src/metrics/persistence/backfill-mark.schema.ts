import { Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropRequiredDate, PropRequiredString } from '@app/database';

/** A start-up backfill that has run to its end (`_id` its name): it is not run again. */
@Schema({ collection: 'plugin_metric_backfills', versionKey: false })
export class BackfillMarkDoc {
  @PropRequiredString()
  _id: string;

  @PropRequiredDate()
  done_at: Date;
}
export const BackfillMarkSchema = SchemaFactory.createForClass(BackfillMarkDoc);
