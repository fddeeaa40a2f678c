import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { type AuthUser, Clock, JsonLogger, OnPlughubEvent, type PageWindow, type Slice } from '@app/common';
import { Observable } from 'rxjs';
import { AccessService } from '../auth/access.service.js';
import type { MessagingConfig } from '../config/app-config.js';
import { MESSAGING_CONFIG } from '../config/config.module.js';
import { type BusSubscription, type MessageBus } from './bus/index.js';
import { EventResponseDto, type EventListQueryDto, type EventStreamQueryDto } from './dto/event.dto.js';
import { EventSignal, MAX_NAMED_SUBSCRIBERS, QueueSignal } from './event-signal.js';
import { canSee, recipientsOf, visibilityOf } from './event-routing.js';
import { MESSAGE_BUS } from './message-bus.provider.js';
import type { EventFilter, NewEvent, StoredEvent } from './messaging.entity.js';
import { InvalidLastEventIdError, TooManyStreamsError } from './messaging.errors.js';
import { INSTALLATION_DIRECTORY, type InstallationDirectory } from './messaging.ports.js';
import { EventDeliveryRepository } from './persistence/event-delivery.repository.js';
import { EventRepository } from './persistence/event.repository.js';

/** The bus channel on which a node tells every node that events were stored (streams and dispatchers wake up). */
export const EVENTS_CHANNEL = 'events';
const STREAM_BATCH = 100;
const DAY_MS = 86_400_000;

/** Stored in one write at most (a larger backlog goes in several, one after the other). */
const MAX_BATCH = 500;

const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

interface Queued {
  event: NewEvent;
  resolve: (stored: StoredEvent) => void;
  reject: (err: unknown) => void;
}

/**
 * The event pipeline's front: every event (system or plugin) is stored here, in one order, then queued for each
 * subscriber it reaches; readers list and stream what they may see. Events are stored in the order `publish` was
 * called (one writer, first in first out), so the events of one source keep the order they were emitted in.
 * Group commit: what is published while a write is in flight, or in the same turn of the event loop (the events
 * of one installation change, emitted together), goes in the next write, with one counter claim, one insert, one
 * subscriber lookup and one delivery insert for all of it.
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy {
  /** Woken when an event was stored on any node (the streams). */
  readonly stored = new EventSignal();
  /** Woken when deliveries were queued on any node, or came due again (the dispatchers), naming for whom. */
  readonly queued = new QueueSignal();
  private readonly logger: JsonLogger;
  private subscription: BusSubscription | null = null;
  private pending: Queued[] = [];
  private writing = false;
  /** Open event streams per user on this node. */
  private readonly openStreams = new Map<string, number>();

  constructor(
    private readonly events: EventRepository,
    private readonly deliveries: EventDeliveryRepository,
    private readonly access: AccessService,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(MESSAGING_CONFIG) private readonly config: MessagingConfig,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
    @Optional() @Inject(INSTALLATION_DIRECTORY) private readonly directory?: InstallationDirectory,
  ) {
    this.logger = logger.child('Events');
  }

  async onModuleInit(): Promise<void> {
    this.subscription = await this.bus.subscribe(EVENTS_CHANNEL, (message) => {
      const changedOn = (message as { installationsChangedOn?: unknown } | null)?.installationsChangedOn;
      if (changedOn !== undefined) {
        if (changedOn !== this.config.nodeName) this.directory?.forgetSubscribers();
        return;
      }
      this.stored.wake();
      // A node that does not say how many deliveries it queued may have queued some.
      const { queued, subscribers } = (message ?? {}) as { queued?: unknown; subscribers?: unknown };
      if (typeof queued === 'number' && queued === 0) return;
      this.queued.wake(isNames(subscribers) ? subscribers : undefined);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe();
    this.stored.wake();
    this.queued.wake();
  }

  /**
   * An installation changed on this node (created, removed, enabled, disabled, updated): the other nodes drop the
   * subscriber list they keep (the directory's, SUBSCRIBERS_TTL_MS), so an event one of them stores after the change
   * answered reaches a subscriber installed here. The notice goes out before the change answers, on the connection
   * that carries this node's later messages, so a message this node sends after it arrives after it.
   */
  @OnPlughubEvent('installation.changed')
  async installationChanged(): Promise<void> {
    await this.bus.publish(EVENTS_CHANNEL, { installationsChangedOn: this.config.nodeName }).catch((err: unknown) => {
      this.logger.warn('Could not announce an installation change on the bus', { error: String(err) });
    });
  }

  /** Stores `event`, queues it for every subscriber it reaches, and wakes the streams and dispatchers. */
  publish(event: NewEvent): Promise<StoredEvent> {
    return new Promise<StoredEvent>((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // After the current turn: the events published along with this one join its write.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  /** Writes what is pending, batch after batch, until nothing is. Never rejects (each batch settles its callers). */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch = this.pending.slice(0, MAX_BATCH);
        this.pending = this.pending.slice(batch.length);
        try {
          const { stored, queued, subscribers } = await this.write(batch.map((q) => q.event));
          batch.forEach((q, i) => q.resolve(stored[i]));
          this.stored.wake();
          if (queued) this.queued.wake(subscribers);
          // The other nodes' streams and dispatchers (told for whom, up to a bound); they also poll, so a broadcast
          // missed while reconnecting only delays.
          const announced = {
            sequence: stored.at(-1)!.sequence,
            queued,
            ...(subscribers.size <= MAX_NAMED_SUBSCRIBERS && { subscribers: [...subscribers] }),
          };
          this.bus.publish(EVENTS_CHANNEL, announced).catch((err: unknown) => {
            this.logger.warn('Could not announce a stored event on the bus', { error: String(err) });
          });
        } catch (err) {
          for (const q of batch) q.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(batch: NewEvent[]): Promise<{ stored: StoredEvent[]; queued: number; subscribers: Set<string> }> {
    const retention = this.config.eventRetentionDays * DAY_MS;
    const stored = await this.events.appendMany(batch, retention);
    const subscribers = (await this.directory?.subscribers()) ?? [];
    const now = this.clock.now();
    const deliveries = stored.flatMap((saved) =>
      recipientsOf(saved, subscribers).map((r) => ({
        eventId: saved.id,
        sequence: saved.sequence,
        type: saved.type,
        subscriberId: r.installationId,
        subscriberKey: r.pluginKey,
        lane: saved.source.installationId ?? 'system',
        at: now,
        expiresAt: new Date(saved.at.getTime() + retention),
      })),
    );
    await this.deliveries.enqueue(deliveries);
    return { stored, queued: deliveries.length, subscribers: new Set(deliveries.map((d) => d.subscriberId)) };
  }

  async list(caller: AuthUser, query: EventListQueryDto, window: PageWindow): Promise<Slice<EventResponseDto>> {
    const visibility = visibilityOf(await this.access.viewer(caller));
    const filter: EventFilter = {
      type: query.type,
      source: query.source,
      since: query.since ? new Date(query.since) : undefined,
      until: query.until ? new Date(query.until) : undefined,
    };
    const slice = await this.events.list(visibility, filter, window);
    return { count: slice.count, items: slice.items.map((e) => EventResponseDto.from(e)) };
  }

  /**
   * The caller's live stream: the events after `lastEventId` (a sequence number) first, when given, then each new
   * one as it is stored; a keep-alive comment whenever nothing was sent for `sseKeepAliveMs`. Only events the
   * caller may see; `signal` ends it when the client goes.
   */
  async stream(
    caller: AuthUser,
    query: EventStreamQueryDto,
    lastEventId: string | undefined,
    signal?: AbortSignal,
  ): Promise<Observable<MessageEvent>> {
    let cursor: number;
    if (lastEventId !== undefined && lastEventId.trim() !== '') {
      if (!/^\d{1,15}$/.test(lastEventId.trim())) throw new InvalidLastEventIdError();
      cursor = Number(lastEventId.trim());
    } else {
      cursor = await this.events.lastSequence();
    }
    const visibility = visibilityOf(await this.access.viewer(caller));
    const filter: EventFilter = { type: query.type };
    // Taken last, once nothing can refuse the stream any more; given back exactly once, when it ends or its client goes.
    const release = this.takeStreamSlot(caller.id, signal);
    return new Observable<MessageEvent>((subscriber) => {
      let open = true;
      let ticket: { wait: Promise<void>; cancel: () => void } | null = null;
      let timer: NodeJS.Timeout | undefined;
      const close = () => {
        open = false;
        clearTimeout(timer);
        ticket?.cancel();
        release();
      };
      signal?.addEventListener('abort', close, { once: true });
      const pump = async () => {
        while (open) {
          ticket = this.stored.ticket();
          const batch = await this.events.after(visibility, filter, cursor, STREAM_BATCH);
          for (const event of batch) {
            if (!open) return;
            cursor = event.sequence;
            if (canSee(visibility, event.owner)) {
              subscriber.next({ id: String(event.sequence), data: EventResponseDto.from(event) });
            }
          }
          if (batch.length === STREAM_BATCH) {
            ticket.cancel();
            continue;
          }
          const woken = await Promise.race([
            ticket.wait.then(() => true),
            new Promise<boolean>((resolve) => {
              timer = setTimeout(() => resolve(false), this.config.sseKeepAliveMs);
            }),
          ]);
          clearTimeout(timer);
          ticket.cancel();
          if (!woken && open) subscriber.next({ comment: 'keep-alive' });
        }
      };
      pump().then(
        () => subscriber.complete(),
        (err: unknown) => {
          this.logger.warn('An event stream failed', { error: String(err) });
          subscriber.error(err);
        },
      );
      return close;
    });
  }

  /** Counts one more open stream of `userId` (TooManyStreamsError past the limit); the function gives it back. */
  private takeStreamSlot(userId: string, signal?: AbortSignal): () => void {
    const open = this.openStreams.get(userId) ?? 0;
    if (open >= this.config.maxStreamsPerUser) throw new TooManyStreamsError(this.config.maxStreamsPerUser);
    this.openStreams.set(userId, open + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const left = (this.openStreams.get(userId) ?? 1) - 1;
      if (left > 0) this.openStreams.set(userId, left);
      else this.openStreams.delete(userId);
    };
    signal?.addEventListener('abort', release, { once: true });
    return release;
  }

  /** How many event streams `userId` holds open on this node. */
  openStreamsOf(userId: string): number {
    return this.openStreams.get(userId) ?? 0;
  }
}
