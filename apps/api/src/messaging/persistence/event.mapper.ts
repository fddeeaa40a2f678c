import type { Types } from 'mongoose';
import type { EventDelivery, EventOwner, StoredEvent } from '../messaging.entity.js';
import type { EventDeliveryDoc } from './event-delivery.schema.js';
import type { EventDoc, EventOwnerDoc } from './event.schema.js';

export type EventLean = EventDoc & { _id: Types.ObjectId };
export type DeliveryLean = EventDeliveryDoc & { _id: Types.ObjectId };

const toOwner = (o: EventOwnerDoc | null | undefined): EventOwner | null =>
  o ? { scope: o.scope, userId: o.user_id ?? null, orgId: o.org_id ?? null } : null;

export const toOwnerDoc = (o: EventOwner | null): EventOwnerDoc | null =>
  o ? { scope: o.scope, user_id: o.userId, org_id: o.orgId } : null;

export const toEvent = (d: EventLean): StoredEvent => ({
  id: d.event_id,
  sequence: d.sequence,
  type: d.type,
  source: {
    kind: d.source.kind,
    installationId: d.source.installation_id ?? null,
    pluginKey: d.source.plugin_key ?? null,
  },
  owner: toOwner(d.owner),
  data: d.data ?? null,
  at: d.at,
});

export const toDelivery = (d: DeliveryLean): EventDelivery => ({
  id: String(d._id),
  eventId: d.event_id,
  sequence: d.sequence,
  type: d.type,
  subscriberId: d.subscriber_id,
  subscriberKey: d.subscriber_key,
  lane: d.lane,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.next_attempt_at,
  lastError: d.last_error ?? null,
  deliveredAt: d.delivered_at ?? null,
  deadAt: d.dead_at ?? null,
  replays: d.replays ?? 0,
  createdAt: d.created_at,
});
