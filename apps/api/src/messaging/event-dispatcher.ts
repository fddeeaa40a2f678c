import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { Clock, JsonLogger, OnPlughubEvent } from '@app/common';
import { PluginRuntime, type StateChangeEvent } from '@app/runtime';
import type { MessagingConfig } from '../config/app-config.js';
import { MESSAGING_CONFIG } from '../config/config.module.js';
import { EventsService } from './events.service.js';
import type { EventDelivery, StoredEvent } from './messaging.entity.js';
import { EventDeliveryRepository } from './persistence/event-delivery.repository.js';
import { EventRepository } from './persistence/event.repository.js';

/** How often pending deliveries are looked at when nothing wakes the dispatcher (retries coming due). */
const POLL_MS = 500;
/**
 * How often a pass looks at every hosted installation rather than at those known to have deliveries (the safety
 * net for a broadcast missed while the bus reconnected).
 */
export const FULL_PASS_MS = 10_000;
const SWEEP_LIMIT = 1000;
const MAX_ERROR_LENGTH = 1000;

/**
 * Delivers queued events to the subscribers this node hosts (the installations loaded in its runtime), through
 * their onEvent: at least once, acknowledged when onEvent returns. Per subscriber, the events of one source go one
 * at a time in sequence order (a lane), so ordering per source is kept; lanes run side by side. A failed attempt is
 * retried after `eventRetryBaseMs` × 2^(attempt-1) on the Clock; after `eventMaxAttempts` the delivery is a dead
 * letter, which holds its lane no longer. A delivery acknowledged once is never handed over again (the
 * acknowledgement is conditional on it still being pending), so a replay or a second node racing for it cannot
 * make a subscriber see an event twice after it was acknowledged.
 */
@Injectable()
export class EventDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger: JsonLogger;
  /** Lanes with a delivery in flight. */
  private readonly busy = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private open = false;
  private ticket: { wait: Promise<void>; cancel: () => void } | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** Hosted installations that had pending deliveries at the last look (their lanes' next heads, retries). */
  private readonly backlog = new Set<string>();
  /**
   * Installations that became ready since the last pass (the runtime's state changes): one hosted since may have
   * deliveries queued while elsewhere. The full pass every FULL_PASS_MS catches one whose change was not seen.
   */
  private readonly arrived = new Set<string>();
  private fullPassAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly deliveries: EventDeliveryRepository,
    private readonly events: EventRepository,
    private readonly service: EventsService,
    private readonly runtime: PluginRuntime,
    @Inject(MESSAGING_CONFIG) private readonly config: MessagingConfig,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('EventDispatcher');
  }

  onApplicationBootstrap(): void {
    this.open = true;
    this.loop = this.run();
  }

  /** Stops taking new deliveries before the runtime closes; those in flight finish (or fail and are retried). */
  async beforeApplicationShutdown(): Promise<void> {
    this.open = false;
    clearTimeout(this.timer);
    this.ticket?.cancel();
    await this.loop;
    await Promise.allSettled([...this.inflight]);
  }

  onApplicationShutdown(): void {
    this.open = false;
  }

  @OnPlughubEvent('runtime.state')
  onState(event: StateChangeEvent): void {
    if (event.to === 'ready') this.arrived.add(event.installationId);
  }

  /** The delay before attempt `attempts + 1`, or null when `attempts` failures make a dead letter. */
  retryDelay(attempts: number): number | null {
    if (attempts >= this.config.eventMaxAttempts) return null;
    return this.config.eventRetryBaseMs * 2 ** (attempts - 1);
  }

  private async run(): Promise<void> {
    while (this.open) {
      this.ticket = this.service.queued.ticket();
      try {
        // Not awaiting the deliveries started: each settles on its own (deliver never rejects).
        void (await this.sweep());
      } catch (err) {
        this.logger.error('Delivering events failed', { error: String(err) });
      }
      if (!this.open) break;
      await Promise.race([
        this.ticket.wait,
        new Promise<void>((resolve) => {
          this.timer = setTimeout(resolve, POLL_MS);
        }),
      ]);
      clearTimeout(this.timer);
      this.ticket.cancel();
    }
  }

  /**
   * One pass, waiting for the deliveries it starts (the loop does not wait: a slow subscriber holds its lane only):
   * over every hosted installation, or (`all: false`) over those the loop's next pass would look at.
   */
  async deliverDue({ all = true }: { all?: boolean } = {}): Promise<void> {
    await Promise.all(await this.sweep(all));
  }

  /**
   * The installations a pass looks at: proportional to what changed, not to how many are hosted. Those named by a
   * queued signal (this node's or another's broadcast), those that had deliveries left at the last look, and those
   * hosted since the last pass; every hosted one when a signal named nobody, and every FULL_PASS_MS.
   */
  private lookAt(full: boolean): string[] {
    const hosted = (id: string) => this.runtime.stateOf(id) === 'ready';
    const named = this.service.queued.take();
    const now = this.clock.nowMs();
    for (const id of this.backlog) if (!hosted(id)) this.backlog.delete(id);
    const arrived = [...this.arrived];
    this.arrived.clear();
    if (full || named === null || now - this.fullPassAt >= FULL_PASS_MS) {
      this.fullPassAt = now;
      return this.runtime.ids({ state: 'ready' });
    }
    const look = new Set<string>();
    for (const id of [...named, ...this.backlog, ...arrived]) if (hosted(id)) look.add(id);
    return [...look];
  }

  /** One pass: the head of each lane that is due and idle is handed over; answers the deliveries started. */
  private async sweep(full = false): Promise<Array<Promise<void>>> {
    const looked = this.lookAt(full);
    const pending = await this.deliveries.pending(looked, SWEEP_LIMIT);
    // What was looked at and had nothing pending leaves the backlog; a cut-off answer says nothing of the rest.
    if (pending.length < SWEEP_LIMIT) for (const id of looked) this.backlog.delete(id);
    else for (const id of looked) this.backlog.add(id);
    for (const d of pending) this.backlog.add(d.subscriberId);
    const now = this.clock.nowMs();
    const heads: EventDelivery[] = [];
    const seen = new Set<string>();
    for (const d of pending) {
      const lane = `${d.subscriberId}/${d.lane}`;
      if (seen.has(lane)) continue;
      seen.add(lane);
      if (d.nextAttemptAt.getTime() <= now && !this.busy.has(lane)) heads.push(d);
    }
    if (!heads.length) return [];
    const events = new Map(
      (await this.events.findByIds([...new Set(heads.map((d) => d.eventId))])).map((e) => [e.id, e]),
    );
    return heads.map((d) => {
      // Once a head is done, the next event of its lane is uncovered: look again at once, at its subscriber (a wake
      // naming nobody would make the next pass ask about every hosted installation after each delivery).
      const task = this.deliver(d, events.get(d.eventId) ?? null).finally(() => {
        this.inflight.delete(task);
        if (this.open) this.service.queued.wake([d.subscriberId]);
      });
      this.inflight.add(task);
      return task;
    });
  }

  /** Never rejects: a failure is recorded on the delivery (or logged when even that fails). */
  private async deliver(delivery: EventDelivery, event: StoredEvent | null): Promise<void> {
    const lane = `${delivery.subscriberId}/${delivery.lane}`;
    this.busy.add(lane);
    try {
      await this.attempt(delivery, event);
    } catch (err) {
      this.logger.error('Recording an event delivery failed', { delivery_id: delivery.id, error: String(err) });
    } finally {
      this.busy.delete(lane);
    }
  }

  private async attempt(delivery: EventDelivery, event: StoredEvent | null): Promise<void> {
    const attempts = delivery.attempts + 1;
    try {
      if (!event) throw new Error('the event is no longer stored');
      await this.runtime.event(delivery.subscriberId, {
        id: event.id,
        type: event.type,
        data: event.data,
        source: event.source.pluginKey,
        emitted_at: event.at.toISOString(),
      });
      await this.deliveries.markDelivered(delivery.id, attempts, this.clock.now());
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, MAX_ERROR_LENGTH);
      const delay = this.retryDelay(attempts);
      const now = this.clock.now();
      await this.deliveries.markFailed(
        delivery.id,
        attempts,
        message,
        delay === null ? null : new Date(now.getTime() + delay),
        now,
      );
      if (delay === null) {
        this.logger.warn('An event became a dead letter', {
          delivery_id: delivery.id,
          event_id: delivery.eventId,
          installation_id: delivery.subscriberId,
          attempts,
          error: message,
        });
      }
    }
  }
}
