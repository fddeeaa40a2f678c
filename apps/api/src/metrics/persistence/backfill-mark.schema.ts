import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** A start-up backfill that has run to its end (`_id` its name): it is not run again. */
@Schema({ collection: 'plugin_metric_backfills', versionKey: false })
export class BackfillMarkDoc {
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ type: Date, required: true })
  done_at: Date;
}
export const BackfillMarkSchema = SchemaFactory.createForClass(BackfillMarkDoc);
