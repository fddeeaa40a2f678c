import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../messaging.entity.js';

/** One event to one subscriber: the at-least-once queue, and the dead letters (status `dead`). */
@Schema({ collection: 'event_deliveries', versionKey: false })
export class EventDeliveryDoc {
  @Prop({ required: true })
  event_id: string;

  @Prop({ required: true })
  sequence: number;

  @Prop({ required: true })
  type: string;

  @Prop({ required: true })
  subscriber_id: string;

  @Prop({ required: true })
  subscriber_key: string;

  @Prop({ required: true })
  lane: string;

  @Prop({ type: String, required: true, enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @Prop({ default: 0 })
  attempts: number;

  @Prop({ required: true })
  next_attempt_at: Date;

  @Prop({ type: String, default: null })
  last_error: string | null;

  @Prop({ type: Date, default: null })
  delivered_at: Date | null;

  @Prop({ type: Date, default: null })
  dead_at: Date | null;

  @Prop({ default: 0 })
  replays: number;

  @Prop({ required: true })
  created_at: Date;

  /** When the TTL index removes it: its event's expiry. */
  @Prop({ type: Date, required: true })
  expires_at: Date;
}
export const EventDeliverySchema = SchemaFactory.createForClass(EventDeliveryDoc);
// One delivery per event and subscriber: an event fanned out twice reaches a subscriber once.
EventDeliverySchema.index({ event_id: 1, subscriber_id: 1 }, { unique: true });
EventDeliverySchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
EventDeliverySchema.index({ status: 1, sequence: 1 });
