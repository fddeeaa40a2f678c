import { Inject, Injectable } from '@nestjs/common';
import { Clock, OnPlughubEvent } from '@app/common';
import { MEMBERSHIP_LOOKUP, type MembershipLookup } from '../auth/auth.ports.js';
import type { EventParticipant, InstallationDirectory, MessageParty } from '../messaging/messaging.ports.js';
import { type EffectiveEntry, effectiveSet } from './effective-set.js';
import type { Installation, InstallationStatus, InstallationTarget } from './installation.entity.js';
import { InstallationRuntime } from './installation-runtime.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { effectiveTargets, eventTarget, SCOPE_RANK, targetKey } from './targets.js';

const OFF: ReadonlySet<InstallationStatus> = new Set(['disabled', 'killed']);

/**
 * How long the subscriber list is reused at most. Changes on this node count at once (installation.changed,
 * plugin.updated, runtime.state); this bounds what another node's changes and membership changes take to count.
 */
export const SUBSCRIBERS_TTL_MS = 5000;

/**
 * The installation module's implementation of messaging's INSTALLATION_DIRECTORY, over the stored installations:
 * - `describe`: an installation's owner (its target) and its manifest's `events.subscribes`;
 * - `subscribers`: the active installations granted `events:subscribe` whose installed version subscribes to
 *   something (the manifest comes from the registry's stored package, cached per key@version), except those an
 *   organisation's or the instance's disable (or kill) of the same plugin switches off; asked on every event, so
 *   the list is kept: a user installation that changes on this node is read again on its own (an install costs
 *   one read, not one of every subscriber), an organisation's or the instance's change reads it all again, and
 *   so does the next ask after SUBSCRIBERS_TTL_MS;
 * - `messageTarget`: the installation of a plugin that serves the sender's target, chosen as the effective set
 *   does: a user's own, else one of their organisations', else the global one; an organisation's own, else the
 *   global one; the global one only for a global sender; none when a broader disable switches it off;
 * - `servingUser`: the installation of a plugin in a user's effective set, with whether it is on for them;
 * - `broadcastRecipients`: the active installations of an organisation or of every target, each marked
 *   inactive (or killed) when an organisation's or the instance's installation of the same plugin is switched off.
 */
@Injectable()
export class InstallationDirectoryAdapter implements InstallationDirectory {
  constructor(
    private readonly installations: InstallationRepository,
    private readonly runtime: InstallationRuntime,
    @Inject(MEMBERSHIP_LOOKUP) private readonly memberships: MembershipLookup,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  private cached: { until: number; subscribers: Promise<Subscribers> } | null = null;
  /**
   * User installations changed on this node since the list was read: re-read one by one at the next ask (`read`),
   * or only taken out (`out`: the change left it without events:subscribe, so it cannot be a subscriber).
   */
  private readonly changed = new Map<string, 'read' | 'out'>();

  async describe(installationId: string): Promise<EventParticipant | null> {
    const installation = await this.installations.find(installationId);
    return installation ? this.participant(installation) : null;
  }

  forgetSubscribers(): void {
    this.cached = null;
    this.changed.clear();
  }

  async subscribers(): Promise<EventParticipant[]> {
    const now = this.clock.nowMs();
    let entry = this.cached;
    if (!entry || entry.until <= now) {
      this.changed.clear();
      entry = { until: now + SUBSCRIBERS_TTL_MS, subscribers: this.loadSubscribers() };
    } else if (this.changed.size) {
      const changes = [...this.changed];
      this.changed.clear();
      entry = { until: entry.until, subscribers: entry.subscribers.then((current) => this.patch(current, changes)) };
    }
    if (entry !== this.cached) {
      const kept = (this.cached = entry);
      // A failed read is not kept: the next event reads everything again.
      kept.subscribers.catch(() => {
        if (this.cached === kept) this.cached = null;
      });
    }
    return (await entry.subscribers).list;
  }

  /**
   * An installation changed status, version or grants (a restart) on this node. A user's installation is read
   * again on its own at the next ask, or only taken out when the change says it is not granted events:subscribe
   * (installation.changed carries the grants); an organisation's or the instance's may switch others off or on,
   * so the whole list is read again.
   */
  @OnPlughubEvent('installation.changed')
  @OnPlughubEvent('plugin.updated')
  @OnPlughubEvent('runtime.state')
  noteChange(event: { installationId: string; target?: { scope: string }; grants?: readonly string[] }): void {
    if (event.target && event.target.scope !== 'user') this.cached = null;
    else this.changed.set(event.installationId, event.grants?.includes('events:subscribe') === false ? 'out' : 'read');
  }

  private async loadSubscribers(): Promise<Subscribers> {
    const listening = (await this.installations.listActiveGranted('events:subscribe')).filter(listens);
    const off = await this.switchedOff(listening);
    const participants = await Promise.all(listening.filter((i) => !off.has(i.id)).map((i) => this.participant(i)));
    const byId = new Map(participants.filter((p) => p.subscribes.length > 0).map((p) => [p.installationId, p]));
    return { byId, list: [...byId.values()] };
  }

  /** The list with these installations read again (in place when they still subscribe, out when not). */
  private async patch(current: Subscribers, changes: ReadonlyArray<[string, 'read' | 'out']>): Promise<Subscribers> {
    const byId = new Map(current.byId);
    for (const [id, change] of changes) {
      if (change === 'out') {
        byId.delete(id);
        continue;
      }
      const installation = await this.installations.find(id);
      if (installation && installation.target.scope !== 'user') return this.loadSubscribers();
      const participant =
        installation && listens(installation) && !(await this.switchedOff([installation])).has(id)
          ? await this.participant(installation)
          : null;
      if (participant && participant.subscribes.length > 0) byId.set(id, participant);
      else byId.delete(id);
    }
    return { byId, list: [...byId.values()] };
  }

  async messageTarget(fromInstallationId: string, pluginKey: string): Promise<EventParticipant | null> {
    const from = await this.installations.find(fromInstallationId);
    if (!from) return null;
    const [entry] = effectiveSet(await this.installations.listInTargets(await this.targetsOf(from.target), pluginKey));
    return entry && !entry.overriddenBy ? this.participant(entry.installation) : null;
  }

  async servingUser(userId: string, pluginKey: string): Promise<MessageParty | null> {
    const targets = effectiveTargets(userId, (await this.memberships.rolesOf(userId)).keys());
    const installations = await this.installations.listInTargets(targets, pluginKey);
    const [entry] = effectiveSet(installations);
    return entry ? this.party(entry.installation, stateOf(entry, installations)) : null;
  }

  async broadcastRecipients(orgId: string | null): Promise<MessageParty[]> {
    const active = (await this.installations.listEnabled()).filter(
      (i) => i.status === 'active' && (orgId === null || (i.target.scope === 'org' && i.target.orgId === orgId)),
    );
    const off = await this.switchedOff(active);
    return Promise.all(
      active.map((i) => this.party(i, off.get(i.id) === 'killed' ? 'killed' : off.has(i.id) ? 'inactive' : 'active')),
    );
  }

  /**
   * The installations among `candidates` that a broader installation of the same plugin switches off (an
   * organisation of the user's, or the instance's, disabled or killed), with that installation's status.
   */
  private async switchedOff(all: readonly Installation[]): Promise<Map<string, InstallationStatus>> {
    if (!all.some((i) => i.target.scope !== 'global')) return new Map();
    // Only a plugin switched off somewhere above can be switched off here: most have none, and need no more reads.
    const keys = [...new Set(all.filter((i) => i.target.scope !== 'global').map((i) => i.pluginKey))];
    const offKeys = new Set((await this.installations.listBroaderWithStatus(keys, [...OFF])).map((i) => i.pluginKey));
    const candidates = all.filter((i) => i.target.scope !== 'global' && offKeys.has(i.pluginKey));
    if (!candidates.length) return new Map();
    const orgsOfUser = new Map<string, string[]>();
    for (const i of candidates) {
      if (i.target.scope === 'user' && !orgsOfUser.has(i.target.userId)) {
        orgsOfUser.set(i.target.userId, [...(await this.memberships.rolesOf(i.target.userId)).keys()]);
      }
    }
    const orgs = new Set([...orgsOfUser.values()].flat());
    const broader = (
      await this.installations.listInTargets([
        { scope: 'global' },
        ...[...orgs].map((id): InstallationTarget => ({ scope: 'org', orgId: id })),
      ])
    ).filter((i) => OFF.has(i.status));
    const offAt = new Map(broader.map((i) => [`${targetKey(i.target)}|${i.pluginKey}`, i.status]));
    const found = new Map<string, InstallationStatus>();
    for (const i of candidates) {
      const above: InstallationTarget[] =
        i.target.scope === 'user'
          ? [
              ...(orgsOfUser.get(i.target.userId) ?? []).map((id) => ({ scope: 'org' as const, orgId: id })),
              { scope: 'global' },
            ]
          : i.target.scope === 'org'
            ? [{ scope: 'global' }]
            : [];
      const statuses = above.map((t) => offAt.get(`${targetKey(t)}|${i.pluginKey}`)).filter((s) => s !== undefined);
      if (statuses.length) found.set(i.id, statuses.includes('killed') ? 'killed' : statuses[0]);
    }
    return found;
  }

  private async party(installation: Installation, state: MessageParty['state']): Promise<MessageParty> {
    const pkg = await this.runtime.package(installation.pluginKey, installation.installedVersion);
    return {
      ...(await this.participant(installation)),
      state,
      grants: installation.grants.map((g) => (typeof g === 'string' ? g : g.capability)),
      category: pkg?.manifest.category ?? null,
    };
  }

  private async targetsOf(target: InstallationTarget): Promise<InstallationTarget[]> {
    switch (target.scope) {
      case 'user':
        return effectiveTargets(target.userId, (await this.memberships.rolesOf(target.userId)).keys());
      case 'org':
        return [target, { scope: 'global' }];
      case 'global':
        return [target];
    }
  }

  private async participant(installation: Installation): Promise<EventParticipant> {
    const pkg = await this.runtime.package(installation.pluginKey, installation.installedVersion);
    return {
      installationId: installation.id,
      pluginKey: installation.pluginKey,
      owner: eventTarget(installation.target),
      subscribes: (pkg?.manifest.events?.subscribes ?? []).map((s) => s.type),
    };
  }
}

/** The subscriber list, by installation id and in order. */
interface Subscribers {
  byId: Map<string, EventParticipant>;
  list: EventParticipant[];
}

/** Whether an installation takes events: active, granted events:subscribe, no operation holding it. */
const listens = (i: Installation) =>
  i.enabled && i.operationId === null && i.status === 'active' && i.grants.includes('events:subscribe');

/** Whether the installation serving an effective-set entry is on, killed (itself or a broader one) or off. */
function stateOf(entry: EffectiveEntry, all: readonly Installation[]): MessageParty['state'] {
  const rank = SCOPE_RANK[entry.installation.target.scope];
  const killedAbove = all.some((i) => i.status === 'killed' && SCOPE_RANK[i.target.scope] > rank);
  if (entry.installation.status === 'killed' || killedAbove) return 'killed';
  return entry.active ? 'active' : 'inactive';
}
