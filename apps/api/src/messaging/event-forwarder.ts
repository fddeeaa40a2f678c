import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { Clock, EventBus, JsonLogger, OnPlughubEvent } from '@app/common';
import type { VersionReviewedEvent } from '../registry/registry.entity.js';
import type { PluginEmittedEvent } from '../runtime/runtime.entity.js';
import { EventsService } from './events.service.js';
import type { EventOwner } from './messaging.entity.js';
import { INSTALLATION_DIRECTORY, type InstallationDirectory } from './messaging.ports.js';

/**
 * The platform's own events that subscribers and readers see, each emitted on the EventBus by the module that owns
 * it: installation (installed, activated, disabled, updated, uninstalled), configuration (config.changed), admin
 * (killed, revived). They are subscribed by name, so an event whose module has not landed yet simply never comes.
 * The registry's `version.reviewed` has its own handler (forwardReview): it belongs to the plugin's owner.
 */
export const SYSTEM_EVENTS = [
  'plugin.installed',
  'plugin.activated',
  'plugin.disabled',
  'plugin.updated',
  'plugin.uninstalled',
  'config.changed',
  'plugin.killed',
  'plugin.revived',
] as const;

/**
 * What of a system event's payload is stored and delivered: ids, keys, versions, statuses, reasons and the names
 * of changed settings. Anything else (a setting's value above all) stays out, so no secret can reach an event.
 */
const KEPT_FIELDS: Record<string, string> = {
  installationId: 'installation_id',
  pluginKey: 'plugin_key',
  version: 'version',
  fromVersion: 'from_version',
  toVersion: 'to_version',
  rolledBack: 'rolled_back',
  from: 'from',
  to: 'to',
  reason: 'reason',
  keys: 'keys',
  changed: 'changed',
  at: 'at',
};

type Payload = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The target an installation event carries (`{scope, userId, orgId}`), as the event's owner. */
export function ownerOf(payload: Payload): EventOwner | null {
  const target = payload.target as Payload | undefined;
  if (!target || typeof target !== 'object') return null;
  const scope = target.scope;
  if (scope === 'global') return { scope, userId: null, orgId: null };
  if (scope === 'user' && str(target.userId)) return { scope, userId: str(target.userId), orgId: null };
  if (scope === 'org' && str(target.orgId)) return { scope, userId: null, orgId: str(target.orgId) };
  return null;
}

/** The stored data of a system event: the kept fields, in snake_case, dates as ISO strings. */
export function systemEventData(payload: Payload): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(KEPT_FIELDS)) {
    const value = payload[field];
    if (value === undefined) continue;
    data[name] = value instanceof Date ? value.toISOString() : value;
  }
  const actor = payload.actor as Payload | undefined;
  if (actor && typeof actor === 'object' && typeof actor.kind === 'string') {
    data.actor = actor.kind === 'user' && str(actor.id) ? { kind: 'user', id: actor.id } : { kind: actor.kind };
  }
  return data;
}

/**
 * Whom a review is told to: the plugin's owner, a user or an organisation (its members read it); a platform
 * plugin's reviews (owner `system`) only platform admins see.
 */
export function reviewOwner(event: Pick<VersionReviewedEvent, 'ownerType' | 'ownerId'>): EventOwner | null {
  if (event.ownerType === 'user' && event.ownerId) return { scope: 'user', userId: event.ownerId, orgId: null };
  if (event.ownerType === 'org' && event.ownerId) return { scope: 'org', userId: null, orgId: event.ownerId };
  return null;
}

type UntypedOn = (event: string, handler: (payload: Payload) => Promise<void>, options: { name: string }) => void;

/** Turns EventBus news into stored events: the system events above and what plugins emit (`plugin.event`). */
@Injectable()
export class EventForwarder implements OnModuleInit {
  private readonly logger: JsonLogger;

  constructor(
    private readonly bus: EventBus,
    private readonly events: EventsService,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
    @Optional() @Inject(INSTALLATION_DIRECTORY) private readonly directory?: InstallationDirectory,
  ) {
    this.logger = logger.child('EventForwarder');
  }

  onModuleInit(): void {
    // By name: the payload types belong to modules that may not be on this branch yet (see SYSTEM_EVENTS).
    const on = this.bus.on.bind(this.bus) as unknown as UntypedOn;
    for (const type of SYSTEM_EVENTS) {
      on(type, (payload) => this.forwardSystem(type, payload), { name: `EventForwarder.${type}` });
    }
  }

  async forwardSystem(type: string, payload: Payload): Promise<void> {
    await this.events.publish({
      type,
      source: { kind: 'system', installationId: str(payload.installationId), pluginKey: str(payload.pluginKey) },
      owner: ownerOf(payload),
      data: systemEventData(payload),
      at: payload.at instanceof Date ? payload.at : this.clock.now(),
    });
  }

  /** The registry's `version.reviewed`: the owner learns that a version was approved or rejected, and why. */
  @OnPlughubEvent('version.reviewed')
  async forwardReview(event: VersionReviewedEvent): Promise<void> {
    await this.events.publish({
      type: 'version.reviewed',
      source: { kind: 'system', installationId: null, pluginKey: event.key },
      owner: reviewOwner(event),
      data: {
        plugin_key: event.key,
        version: event.version,
        decision: event.decision,
        notes: event.notes,
        at: event.at.toISOString(),
      },
      at: event.at,
    });
  }

  @OnPlughubEvent('plugin.event')
  async forwardPluginEvent(event: PluginEmittedEvent): Promise<void> {
    const source = await this.directory?.describe(event.installationId);
    if (!source && this.directory) {
      this.logger.warn('An event from an unknown installation was dropped', {
        installation_id: event.installationId,
        type: event.type,
      });
      return;
    }
    await this.events.publish({
      type: event.type,
      source: { kind: 'plugin', installationId: event.installationId, pluginKey: source?.pluginKey ?? event.pluginKey },
      owner: source?.owner ?? null,
      data: event.data ?? null,
      at: event.at,
    });
  }
}
