/**
 * The messaging module's entities. Schemas, DTOs, services and repositories import them from here, never from each
 * other.
 */
import type { TargetScope } from '../auth/auth.entity.js';

/**
 * Whose an event is: the target of the installation it concerns (a user's, an organisation's or the instance's).
 * It decides who may read it (GET /api/events/, the stream) and which subscribers receive it. Null for a platform
 * event that concerns no installation: platform admins only.
 */
export interface EventOwner {
  scope: TargetScope;
  userId: string | null;
  orgId: string | null;
}

/** Where an event comes from: a plugin's installation, or the platform itself (`kind: 'system'`). */
export interface EventSource {
  kind: 'plugin' | 'system';
  installationId: string | null;
  pluginKey: string | null;
}

/** One stored event: every event, system or plugin, is kept (append-only, retained by TTL). */
export interface StoredEvent {
  /** Unique id (UUID), the same in every delivery of it: subscribers de-duplicate by it. */
  id: string;
  /** Position in the one order of all events (1, 2, …): the SSE id and the `Last-Event-ID` to resume after. */
  sequence: number;
  type: string;
  source: EventSource;
  owner: EventOwner | null;
  data: unknown;
  at: Date;
}

/** An event as the pipeline takes it in, before it has an id and a sequence. */
export type NewEvent = Omit<StoredEvent, 'id' | 'sequence'>;

export interface EventFilter {
  /** `plugin.installed`, or a pattern (`plugin.*`, `*`) as in `events.subscribes`. */
  type?: string;
  /** Plugin key of the emitter, or `system` for platform events. */
  source?: string;
  since?: Date;
  until?: Date;
}

/**
 * Which owners a reader may see: every one (platform admins), or the listed ones (their own, their
 * organisations', the global one).
 */
export type EventVisibility = { all: true } | { all: false; userId: string; orgIds: string[] };

export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead'] as const;
/** `pending`: to be delivered (again); `delivered`: onEvent returned; `dead`: every attempt failed. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The delivery of one event to one subscribing installation (at least once, in order per source). */
export interface EventDelivery {
  id: string;
  eventId: string;
  sequence: number;
  type: string;
  subscriberId: string;
  subscriberKey: string;
  /** Ordering lane: deliveries of one source to one subscriber go one after the other, in sequence order. */
  lane: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  deliveredAt: Date | null;
  /** When it became a dead letter, or null. */
  deadAt: Date | null;
  /** How many times an administrator replayed it. */
  replays: number;
  createdAt: Date;
}

/** A dead letter with the event it failed to deliver. */
export interface DeadLetter {
  delivery: EventDelivery;
  event: StoredEvent | null;
}
