import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { PropDefault, PropRequired } from '@app/database';

/** One user's rating of one plugin. */
@Schema({ collection: 'plugin_reviews', timestamps: { createdAt: 'created_at', updatedAt: 'updated_at' } })
export class PluginReviewDoc {
  @PropRequired()
  plugin_key: string;

  @PropRequired()
  user_id: string;

  @Prop({ required: true, min: 1, max: 5 })
  rating: number;

  @PropDefault('')
  text: string;

  created_at: Date;
  updated_at: Date;
}
export const PluginReviewSchema = SchemaFactory.createForClass(PluginReviewDoc);
PluginReviewSchema.index({ plugin_key: 1, user_id: 1 }, { unique: true });
PluginReviewSchema.index({ plugin_key: 1, updated_at: -1 });
