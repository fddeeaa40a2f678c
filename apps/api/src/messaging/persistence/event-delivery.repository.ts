import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { findLeanById, isDuplicateKey, isObjectIdString, paginate, toObjectId } from '@app/database';
import type { Model } from 'mongoose';
import type { EventDelivery } from '../messaging.entity.js';
import { EventDeliveryDoc } from './event-delivery.schema.js';
import { type DeliveryLean, toDelivery } from './event.mapper.js';

/** A delivery to queue: what it delivers to whom (an EventDelivery's own fields), when, and until when. */
export interface NewDelivery extends Pick<
  EventDelivery,
  'eventId' | 'sequence' | 'type' | 'subscriberId' | 'subscriberKey' | 'lane'
> {
  at: Date;
  /** When the TTL index removes it: its event's expiry. */
  expiresAt: Date;
}

/** The event_deliveries collection: the per-subscriber queue and its dead letters. */
@Injectable()
export class EventDeliveryRepository {
  constructor(@InjectModel(EventDeliveryDoc.name) private readonly deliveries: Model<EventDeliveryDoc>) {}

  /** Queues deliveries; one that exists already (same event, same subscriber) is kept as it is. */
  async enqueue(items: NewDelivery[]): Promise<void> {
    if (!items.length) return;
    const docs = items.map((d) => ({
      event_id: d.eventId,
      sequence: d.sequence,
      type: d.type,
      subscriber_id: d.subscriberId,
      subscriber_key: d.subscriberKey,
      lane: d.lane,
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: d.at,
      last_error: null,
      delivered_at: null,
      dead_at: null,
      replays: 0,
      created_at: d.at,
      expires_at: d.expiresAt,
    }));
    try {
      await this.deliveries.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /**
   * Pending deliveries to these subscribers, oldest event first, due or not (a lane's head that is not due yet
   * holds the lane back).
   */
  async pending(subscriberIds: string[], limit: number): Promise<EventDelivery[]> {
    if (!subscriberIds.length) return [];
    const docs = await this.deliveries
      .find({ status: 'pending', subscriber_id: { $in: subscriberIds } })
      .sort({ sequence: 1, _id: 1 })
      .limit(limit)
      .lean<DeliveryLean[]>()
      .exec();
    return docs.map(toDelivery);
  }

  /** Acknowledges a pending delivery; false when it was no longer pending (delivered meanwhile). */
  async markDelivered(id: string, attempts: number, at: Date): Promise<boolean> {
    const res = await this.deliveries
      .updateOne(
        { _id: toObjectId(id), status: 'pending' },
        { $set: { status: 'delivered', attempts, delivered_at: at, last_error: null } },
      )
      .exec();
    return res.modifiedCount === 1;
  }

  /** Records a failed attempt: retried at `retryAt`, or a dead letter when `retryAt` is null. */
  async markFailed(id: string, attempts: number, error: string, retryAt: Date | null, at: Date): Promise<void> {
    const $set: Record<string, unknown> = { attempts, last_error: error };
    if (retryAt) $set.next_attempt_at = retryAt;
    else Object.assign($set, { status: 'dead', dead_at: at });
    await this.deliveries.updateOne({ _id: toObjectId(id), status: 'pending' }, { $set }).exec();
  }

  /** Dead letters, the most recent first. */
  async deadLetters(window: PageWindow): Promise<Slice<EventDelivery>> {
    const slice = await paginate<EventDeliveryDoc, DeliveryLean>(
      this.deliveries,
      { status: 'dead' },
      { dead_at: -1, _id: -1 },
      window,
    );
    return { count: slice.count, items: slice.items.map(toDelivery) };
  }

  findById(id: string): Promise<EventDelivery | null> {
    return findLeanById(this.deliveries, id, toDelivery);
  }

  /** Puts a dead letter back in its queue with fresh attempts; null when it is not (or no longer) dead. */
  async replay(id: string, at: Date): Promise<EventDelivery | null> {
    if (!isObjectIdString(id)) return null;
    const doc = await this.deliveries
      .findOneAndUpdate(
        { _id: toObjectId(id), status: 'dead' },
        {
          $set: { status: 'pending', attempts: 0, next_attempt_at: at, dead_at: null },
          $inc: { replays: 1 },
        },
        { returnDocument: 'after' },
      )
      .lean<DeliveryLean>()
      .exec();
    return doc ? toDelivery(doc) : null;
  }
}
