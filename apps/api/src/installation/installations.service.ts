import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type PageWindow, type Slice } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { AccessAction, TargetScope } from '../auth/auth.entity.js';
import { MEMBERSHIP_LOOKUP, type MembershipLookup } from '../auth/auth.ports.js';
import { InstallationResponseDto } from './dto/installation-response.dto.js';
import type { InstallationListQueryDto } from './dto/installation-query.dto.js';
import { type EffectiveEntry, effectiveSet } from './effective-set.js';
import type {
  Installation,
  InstallationSummary,
  InstallationTarget,
  PermissionsChange,
} from './installation.entity.js';
import {
  installationNotFound,
  NotInstallationManagerError,
  NotInstalledError,
  OperationInProgressError,
} from './installation.errors.js';
import { InstallationRuntime } from './installation-runtime.js';
import { InstallationRepository } from './persistence/installation.repository.js';
import { accessTarget, effectiveTargets, installationTarget } from './targets.js';

/**
 * How long the installation serving a user for a plugin (effectiveFor, asked by every call of a plugin's endpoints
 * and Execute) may be reused. Any write to the installations on this node (status, grants, settings, version,
 * uninstall) and any change of the user's memberships counts for the next call; another node's within this window.
 */
export const SERVING_TTL_MS = 2000;
const SERVING_CACHE_MAX = 10_000;

interface Serving {
  until: number;
  /** InstallationRepository.writes when the read started. */
  writes: number;
  /** The user's roles it was read with (the membership lookup hands out the same map while it holds them). */
  roles: ReadonlyMap<string, unknown>;
  entry: Promise<EffectiveEntry | null>;
}

/** The §4 target query parameters. */
export interface TargetQuery {
  scope?: TargetScope;
  org?: string;
}

/**
 * Reading installations, and the seams other modules build on:
 * - `target` / `findForCaller`: the installation a request acts on, chosen by the §4 `scope`/`org` parameters
 *   (404 when the caller may not see it, 403 NotInstallationManagerError when they may see but not change it);
 * - `effectiveSetOf` / `effectiveFor`: a user's effective set (own + their organisations' + global, an org or
 *   global disable overriding a more specific one): which installation serves a user, and whether it is on;
 * - `runtimeIdOf`: the id its runtime instance has in PluginRuntime;
 * - `response`: the one Installation schema every answer uses.
 */
@Injectable()
export class InstallationsService {
  private readonly serving = new Map<string, Serving>();

  constructor(
    private readonly installations: InstallationRepository,
    private readonly access: AccessService,
    private readonly runtime: InstallationRuntime,
    @Inject(MEMBERSHIP_LOOKUP) private readonly memberships: MembershipLookup,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ---- for other modules -----------------------------------------------------------------------------------------

  /** The target the query names, checked for `action` (read: 404 when invisible; manage: 403 when read-only). */
  async target(caller: AuthUser, query: TargetQuery, action: AccessAction): Promise<InstallationTarget> {
    const resolved = await this.access.resolveTarget(caller, query);
    const target = installationTarget(resolved);
    if (action !== 'read') {
      await this.access.assert(caller, action, accessTarget(target), () => new NotInstallationManagerError());
    }
    return target;
  }

  /** The caller's installation of `key` in the target the query names; NotInstalledError (404) when there is none. */
  async findForCaller(caller: AuthUser, key: string, query: TargetQuery, action: AccessAction): Promise<Installation> {
    const target = await this.target(caller, query, action);
    const installation = await this.installations.findInTarget(key, target);
    if (!installation) throw new NotInstalledError(key);
    return installation;
  }

  /**
   * Runs `task` on the installation of `key` the caller manages, with nothing else happening to it on this node
   * (InstallationRuntime.exclusive): found once for its id (404/403 before any wait), then read again inside the
   * lock, so `task` starts from what a change that held the lock before it stored.
   */
  async whileManaging<T>(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    task: (installation: Installation) => Promise<T>,
  ): Promise<T> {
    const found = await this.findForCaller(caller, key, query, 'manage');
    return this.runtime.exclusive(found.id, async () => task(await this.findForCaller(caller, key, query, 'manage')));
  }

  /** The instance's (global) installation of `key`, or null: what serves a caller without credentials. */
  findGlobal(key: string): Promise<Installation | null> {
    return this.installations.findInTarget(key, { scope: 'global' });
  }

  /** A user's effective set, one entry per plugin (see effective-set.ts). */
  async effectiveSetOf(userId: string): Promise<EffectiveEntry[]> {
    const orgs = await this.memberships.rolesOf(userId);
    return effectiveSet(await this.installations.listInTargets(effectiveTargets(userId, orgs.keys())));
  }

  /**
   * The installation that serves `userId` for plugin `key`, or null when none of their targets has it. Kept for
   * SERVING_TTL_MS while nothing changed on this node; its usage counters may lag: read them elsewhere.
   */
  async effectiveFor(userId: string, key: string): Promise<EffectiveEntry | null> {
    const roles = await this.memberships.rolesOf(userId);
    const id = `${userId}/${key}`;
    const now = this.clock.nowMs();
    const writes = this.installations.writes;
    const hit = this.serving.get(id);
    if (hit && hit.until > now && hit.writes === writes && hit.roles === roles) return hit.entry;
    const entry = this.installations
      .listInTargets(effectiveTargets(userId, roles.keys()), key)
      .then((installations) => effectiveSet(installations)[0] ?? null);
    const cached: Serving = { until: now + SERVING_TTL_MS, writes, roles, entry };
    if (this.serving.size >= SERVING_CACHE_MAX) this.serving.clear();
    this.serving.set(id, cached);
    // A failed read is not kept: the next call reads again.
    entry.catch(() => {
      if (this.serving.get(id) === cached) this.serving.delete(id);
    });
    return entry;
  }

  /**
   * Writes an installation's settings (the configuration module): plain values replaced, `seal` secrets set (sealed
   * already, for `secretContext`), `drop` secrets removed. 409 OperationInProgressError while an install, update or
   * uninstall holds it; NotInstalledError when it is gone.
   */
  async writeSettings(
    installation: Installation,
    change: { config: Record<string, unknown>; seal: Record<string, string>; drop: readonly string[] },
  ): Promise<Installation> {
    const written = await this.installations.writeSettings(installation.id, change);
    if (written) return written;
    if (await this.installations.find(installation.id)) throw new OperationInProgressError();
    throw new NotInstalledError(installation.pluginKey);
  }

  /** The installation with this id, or null (for background work that has no caller, e.g. the health policy). */
  byId(id: string): Promise<Installation | null> {
    return this.installations.find(id);
  }

  /** Every installation counted by status, with their usage stats summed (the metrics module's summary). */
  summary(): Promise<InstallationSummary> {
    return this.installations.summary();
  }

  /**
   * Writes an installation's grants, pending grants, limits and security level (the permissions module). 409
   * OperationInProgressError while an install, update or uninstall holds it; NotInstalledError when it is gone.
   */
  async writePermissions(installation: Installation, change: PermissionsChange): Promise<Installation> {
    const written = await this.installations.writePermissions(installation.id, change);
    if (written) return written;
    if (await this.installations.find(installation.id)) throw new OperationInProgressError();
    throw new NotInstalledError(installation.pluginKey);
  }

  /** Replaces an installation's metadata (the configuration module); 409 while an operation holds it. */
  async writeMetadata(installation: Installation, metadata: Record<string, unknown>): Promise<Installation> {
    const written = await this.installations.writeMetadata(installation.id, metadata);
    if (written) return written;
    if (await this.installations.find(installation.id)) throw new OperationInProgressError();
    throw new NotInstalledError(installation.pluginKey);
  }

  /** Every installation in a user's own targets (theirs, their organisations', global), optionally of one plugin. */
  async inTargetsOf(userId: string, key?: string): Promise<Installation[]> {
    const orgs = await this.memberships.rolesOf(userId);
    return this.installations.listInTargets(effectiveTargets(userId, orgs.keys()), key);
  }

  runtimeIdOf(installation: Pick<Installation, 'id'>): string {
    return this.runtime.runtimeId(installation);
  }

  response(installation: Installation, effective?: EffectiveEntry): InstallationResponseDto {
    const instance = this.runtime.status(this.runtime.runtimeId(installation));
    return InstallationResponseDto.from(installation, instance?.state ?? null, effective);
  }

  // ---- the HTTP API --------------------------------------------------------------------------------------------

  /** GET /api/installations/{id}/: any installation the caller may see (their targets; every one for admins). */
  async get(caller: AuthUser, id: string): Promise<InstallationResponseDto> {
    const installation = await this.installations.find(id);
    if (!installation || !(await this.access.can(caller, 'read', accessTarget(installation.target)))) {
      throw installationNotFound();
    }
    return this.response(installation);
  }

  /** GET /api/installations/: platform admins see all of them, others those of their own targets. */
  async list(
    caller: AuthUser,
    query: InstallationListQueryDto,
    window: PageWindow,
  ): Promise<Slice<InstallationResponseDto>> {
    const viewer = await this.access.viewer(caller);
    const slice = await this.installations.list(
      {
        targets: viewer.isAdmin ? undefined : effectiveTargets(caller.id, viewer.orgRoles.keys()),
        pluginKey: query.plugin,
        scope: query.scope,
        orgId: query.org === undefined ? undefined : await this.orgId(query.org),
        userId: query.user,
        status: query.status,
        updateAvailable: query.update_available,
      },
      query.ordering ?? '-installed_at',
      window,
    );
    return { count: slice.count, items: slice.items.map((i) => this.response(i)) };
  }

  /** GET /api/my/plugins/: the caller's effective set, each entry saying whether it is on for them and why not. */
  async mine(caller: AuthUser, window: PageWindow): Promise<Slice<InstallationResponseDto>> {
    const entries = await this.effectiveSetOf(caller.id);
    return {
      count: entries.length,
      items: entries.slice(window.offset, window.offset + window.limit).map((e) => this.response(e.installation, e)),
    };
  }

  /** GET /api/org/plugins/: an organisation's installations (`org`), or those of every organisation of the caller. */
  async forOrgs(
    caller: AuthUser,
    org: string | undefined,
    window: PageWindow,
  ): Promise<Slice<InstallationResponseDto>> {
    let targets: InstallationTarget[];
    if (org !== undefined) {
      targets = [await this.target(caller, { scope: 'org', org }, 'read')];
    } else {
      const viewer = await this.access.viewer(caller);
      targets = [...viewer.orgRoles.keys()].sort().map((orgId) => ({ scope: 'org', orgId }));
    }
    if (!targets.length) return { count: 0, items: [] };
    const slice = await this.installations.list({ targets }, 'plugin', window);
    return { count: slice.count, items: slice.items.map((i) => this.response(i)) };
  }

  /** An organisation's id from its slug or id; one nobody knows matches nothing. */
  private async orgId(ref: string): Promise<string> {
    return (await this.memberships.findOrg(ref))?.id ?? `unknown:${ref}`;
  }
}
