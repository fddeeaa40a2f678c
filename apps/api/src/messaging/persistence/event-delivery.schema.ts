import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../messaging.entity.js';
import { PropDefault, PropNullableDate, PropNullableString, PropRequired, PropRequiredDate } from '@app/database';

/** One event to one subscriber: the at-least-once queue, and the dead letters (status `dead`). */
@Schema({ collection: 'event_deliveries', versionKey: false })
export class EventDeliveryDoc {
  @PropRequired()
  event_id: string;

  @PropRequired()
  sequence: number;

  @PropRequired()
  type: string;

  @PropRequired()
  subscriber_id: string;

  @PropRequired()
  subscriber_key: string;

  @PropRequired()
  lane: string;

  @Prop({ type: String, required: true, enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @PropDefault(0)
  attempts: number;

  @PropRequired()
  next_attempt_at: Date;

  @PropNullableString()
  last_error: string | null;

  @PropNullableDate()
  delivered_at: Date | null;

  @PropNullableDate()
  dead_at: Date | null;

  @PropDefault(0)
  replays: number;

  @PropRequired()
  created_at: Date;

  /** When the TTL index removes it: its event's expiry. */
  @PropRequiredDate()
  expires_at: Date;
}
export const EventDeliverySchema = SchemaFactory.createForClass(EventDeliveryDoc);
// One delivery per event and subscriber: an event fanned out twice reaches a subscriber once.
EventDeliverySchema.index({ event_id: 1, subscriber_id: 1 }, { unique: true });
EventDeliverySchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
EventDeliverySchema.index({ status: 1, sequence: 1 });
