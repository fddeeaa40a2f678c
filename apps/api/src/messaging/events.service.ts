import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { type AuthUser, Clock, JsonLogger, type PageWindow, type Slice } from '@app/common';
import { KeyedMutex } from '@app/runtime';
import { Observable } from 'rxjs';
import { AccessService } from '../auth/access.service.js';
import type { MessagingConfig } from '../config/app-config.js';
import { MESSAGING_CONFIG } from '../config/config.module.js';
import { type BusSubscription, type MessageBus } from './bus/index.js';
import { EventResponseDto, type EventListQueryDto, type EventStreamQueryDto } from './dto/event.dto.js';
import { EventSignal } from './event-signal.js';
import { canSee, recipientsOf, visibilityOf } from './event-routing.js';
import { MESSAGE_BUS } from './message-bus.provider.js';
import type { EventFilter, NewEvent, StoredEvent } from './messaging.entity.js';
import { InvalidLastEventIdError } from './messaging.errors.js';
import { INSTALLATION_DIRECTORY, type InstallationDirectory } from './messaging.ports.js';
import { EventDeliveryRepository } from './persistence/event-delivery.repository.js';
import { EventRepository } from './persistence/event.repository.js';

/** The bus channel on which a node tells every node that events were stored (streams and dispatchers wake up). */
export const EVENTS_CHANNEL = 'events';
const STREAM_BATCH = 100;
const DAY_MS = 86_400_000;

/**
 * The event pipeline's front: every event (system or plugin) is stored here, in one order, then queued for each
 * subscriber it reaches; readers list and stream what they may see. Events of one source are stored one after the
 * other (a lane per source installation), so their sequence numbers keep the order they were emitted in.
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy {
  /** Woken when an event was stored on any node. */
  readonly stored = new EventSignal();
  private readonly lanes = new KeyedMutex();
  private readonly logger: JsonLogger;
  private subscription: BusSubscription | null = null;

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
    this.subscription = await this.bus.subscribe(EVENTS_CHANNEL, () => this.stored.wake());
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.unsubscribe();
    this.stored.wake();
  }

  /** Stores `event`, queues it for every subscriber it reaches, and wakes the streams and dispatchers. */
  async publish(event: NewEvent): Promise<StoredEvent> {
    const stored = await this.lanes.run(event.source.installationId ?? 'system', async () => {
      const saved = await this.events.append(event, this.config.eventRetentionDays * DAY_MS);
      const recipients = recipientsOf(saved, (await this.directory?.subscribers()) ?? []);
      await this.deliveries.enqueue(
        recipients.map((r) => ({
          eventId: saved.id,
          sequence: saved.sequence,
          type: saved.type,
          subscriberId: r.installationId,
          subscriberKey: r.pluginKey,
          lane: saved.source.installationId ?? 'system',
          at: this.clock.now(),
          expiresAt: new Date(saved.at.getTime() + this.config.eventRetentionDays * DAY_MS),
        })),
      );
      return saved;
    });
    this.stored.wake();
    // The other nodes' streams and dispatchers; they also poll, so a broadcast missed while reconnecting only delays.
    this.bus.publish(EVENTS_CHANNEL, { sequence: stored.sequence }).catch((err: unknown) => {
      this.logger.warn('Could not announce a stored event on the bus', { error: String(err) });
    });
    return stored;
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
    return new Observable<MessageEvent>((subscriber) => {
      let open = true;
      let ticket: { wait: Promise<void>; cancel: () => void } | null = null;
      let timer: NodeJS.Timeout | undefined;
      const close = () => {
        open = false;
        clearTimeout(timer);
        ticket?.cancel();
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
}
