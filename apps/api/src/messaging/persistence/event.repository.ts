import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { PageWindow, Slice } from '@app/common';
import { paginate } from '@app/database';
import type { Model } from 'mongoose';
import type { EventFilter, EventVisibility, NewEvent, StoredEvent } from '../messaging.entity.js';
import { type EventLean, toEvent, toOwnerDoc } from './event.mapper.js';
import { EventDoc, EventSequenceDoc } from './event.schema.js';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The query for what `visibility` may see, matching `filter`. */
function toQuery(visibility: EventVisibility, filter: EventFilter, afterSequence?: number): Record<string, unknown> {
  const and: Record<string, unknown>[] = [];
  if (!visibility.all) {
    and.push({
      $or: [
        { 'owner.scope': 'global' },
        { 'owner.scope': 'user', 'owner.user_id': visibility.userId },
        ...(visibility.orgIds.length ? [{ 'owner.scope': 'org', 'owner.org_id': { $in: visibility.orgIds } }] : []),
      ],
    });
  }
  if (filter.type !== undefined && filter.type !== '*') {
    and.push(
      filter.type.endsWith('.*')
        ? { type: { $regex: `^${escapeRegex(filter.type.slice(0, -1))}` } }
        : { type: filter.type },
    );
  }
  if (filter.source !== undefined) {
    and.push(filter.source === 'system' ? { 'source.kind': 'system' } : { 'source.plugin_key': filter.source });
  }
  if (filter.since || filter.until) {
    and.push({ at: { ...(filter.since && { $gte: filter.since }), ...(filter.until && { $lte: filter.until }) } });
  }
  if (afterSequence !== undefined) and.push({ sequence: { $gt: afterSequence } });
  return and.length ? { $and: and } : {};
}

/** The events collection and its sequence counter. */
@Injectable()
export class EventRepository {
  constructor(
    @InjectModel(EventDoc.name) private readonly events: Model<EventDoc>,
    @InjectModel(EventSequenceDoc.name) private readonly sequences: Model<EventSequenceDoc>,
  ) {}

  /** Stores an event with a fresh id and the next sequence number, removed by the TTL index after `retentionMs`. */
  async append(event: NewEvent, retentionMs: number): Promise<StoredEvent> {
    const [stored] = await this.appendMany([event], retentionMs);
    return stored;
  }

  /**
   * Stores events in the order given, numbered one after the other: one counter claim for all of them and one
   * insert (the event store's group commit). Answers them as stored, from what was written (nothing is read back).
   */
  async appendMany(events: readonly NewEvent[], retentionMs: number): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const counter = await this.sequences
      .findOneAndUpdate(
        { _id: 'events' },
        { $inc: { value: events.length } },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<EventSequenceDoc>()
      .exec();
    const first = counter.value - events.length + 1;
    const docs = events.map((event, i) => ({
      event_id: randomUUID(),
      sequence: first + i,
      type: event.type,
      source: {
        kind: event.source.kind,
        installation_id: event.source.installationId,
        plugin_key: event.source.pluginKey,
      },
      owner: toOwnerDoc(event.owner),
      data: event.data,
      at: event.at,
      expires_at: new Date(event.at.getTime() + retentionMs),
    }));
    await this.events.insertMany(docs, { ordered: true });
    return docs.map((d) => toEvent(d as EventLean));
  }

  /** Newest first. */
  async list(visibility: EventVisibility, filter: EventFilter, window: PageWindow): Promise<Slice<StoredEvent>> {
    const slice = await paginate<EventDoc, EventLean>(
      this.events,
      toQuery(visibility, filter),
      { sequence: -1 },
      window,
    );
    return { count: slice.count, items: slice.items.map(toEvent) };
  }

  /** Up to `limit` events after `sequence`, oldest first (the stream's catch-up). */
  async after(
    visibility: EventVisibility,
    filter: EventFilter,
    sequence: number,
    limit: number,
  ): Promise<StoredEvent[]> {
    const docs = await this.events
      .find(toQuery(visibility, filter, sequence))
      .sort({ sequence: 1 })
      .limit(limit)
      .lean<EventLean[]>()
      .exec();
    return docs.map(toEvent);
  }

  /** The sequence of the newest event, 0 when there is none. */
  async lastSequence(): Promise<number> {
    const counter = await this.sequences.findById('events').lean<EventSequenceDoc>().exec();
    return counter?.value ?? 0;
  }

  async findByIds(ids: string[]): Promise<StoredEvent[]> {
    if (!ids.length) return [];
    const docs = await this.events
      .find({ event_id: { $in: ids } })
      .lean<EventLean[]>()
      .exec();
    return docs.map(toEvent);
  }
}
