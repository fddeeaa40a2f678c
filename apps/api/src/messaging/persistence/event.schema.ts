import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import {
  PropNullableMixed,
  PropNullableString,
  PropRequired,
  PropRequiredDate,
  PropRequiredString,
} from '@app/database';

@Schema({ _id: false, versionKey: false })
export class EventSourceDoc {
  @Prop({ type: String, required: true, enum: ['plugin', 'system'] })
  kind: 'plugin' | 'system';

  @PropNullableString()
  installation_id: string | null;

  @PropNullableString()
  plugin_key: string | null;
}
const EventSourceSchema = SchemaFactory.createForClass(EventSourceDoc);

@Schema({ _id: false, versionKey: false })
export class EventOwnerDoc {
  @Prop({ type: String, required: true, enum: ['user', 'org', 'global'] })
  scope: 'user' | 'org' | 'global';

  @PropNullableString()
  user_id: string | null;

  @PropNullableString()
  org_id: string | null;
}
const EventOwnerSchema = SchemaFactory.createForClass(EventOwnerDoc);

/** Every event, system or plugin: append-only. */
@Schema({ collection: 'events', versionKey: false })
export class EventDoc {
  /** The event's public id (UUID). */
  @Prop({ required: true, unique: true })
  event_id: string;

  /** One order over all events, from the event_sequences counter. */
  @Prop({ required: true, unique: true })
  sequence: number;

  @PropRequired()
  type: string;

  @Prop({ type: EventSourceSchema, required: true })
  source: EventSourceDoc;

  @Prop({ type: EventOwnerSchema, default: null })
  owner: EventOwnerDoc | null;

  @PropNullableMixed()
  data: unknown;

  @PropRequired()
  at: Date;

  /** When the TTL index removes it (`at` plus the retention, PLUGHUB_EVENT_RETENTION_DAYS). */
  @PropRequiredDate()
  expires_at: Date;
}
export const EventSchema = SchemaFactory.createForClass(EventDoc);
EventSchema.index({ expires_at: 1 }, { name: 'retention', expireAfterSeconds: 0 });
EventSchema.index({ type: 1, sequence: -1 });
EventSchema.index({ 'source.plugin_key': 1, sequence: -1 });

/** The counter handing out event sequence numbers (one document, `_id: 'events'`). */
@Schema({ collection: 'event_sequences', versionKey: false })
export class EventSequenceDoc {
  @PropRequiredString()
  _id: string;

  @PropRequired()
  value: number;
}
export const EventSequenceSchema = SchemaFactory.createForClass(EventSequenceDoc);
