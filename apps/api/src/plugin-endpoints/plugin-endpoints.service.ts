import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, OnPlughubEvent } from '@app/common';
import { DEFAULT_LIMITS, type EndpointDeclaration, matchEndpoint } from '@app/plugin-sdk';
import { type EndpointResponse, PluginRuntime, type RequestInput } from '@app/runtime';
import type { Installation, PluginLifecycleEvent } from '../installation/installation.entity.js';
import { NotInstalledError, PluginKilledError } from '../installation/installation.errors.js';
import { BusMessageRouter } from '../messaging/bus-message-router.js';
import type { JsonValue } from '../messaging/bus/index.js';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { InstallationsService } from '../installation/installations.service.js';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import type { ExecuteResultDto } from './dto/execute.dto.js';
import { PublicEndpointsDto } from './dto/public-endpoints.dto.js';
import { pluginCallError } from './plugin-call-errors.js';
import {
  EndpointMethodNotAllowedError,
  EndpointNotFoundError,
  NoGlobalInstallationError,
  PluginInactiveError,
  PublicEndpointsNotAllowedError,
} from './plugin-endpoints.errors.js';
import { PublicEndpointsRepository } from './persistence/public-endpoints.repository.js';

/** A request to one of a plugin's endpoints, as the controller hands it over. */
export interface EndpointCall {
  key: string;
  method: string;
  /** Below `/api/plugins/{plugin}/endpoints/`, as sent (percent-encoded), without the query string. */
  path: string;
  query: RequestInput['query'];
  headers: RequestInput['headers'];
  body: unknown;
}

interface Serving {
  installation: Installation;
  endpoints: readonly EndpointDeclaration[];
  /** Its calls' time limit (the granted one, else the manifest's, else the platform default). */
  timeoutMs: number;
}

/** How much longer than the plugin's own limit a call to another node waits (the hop, the queue). */
const REMOTE_GRACE_MS = 2000;

/**
 * How long the registry's kill flag of a plugin may be reused by calls. A kill or revive pulled on this node counts
 * for the next call (`plugin.killed`, `plugin.revived`); one pulled on another node within this, about when that
 * node's kill reaches this one's running instances (KillWatcher looks twice a second).
 */
export const KILL_FLAG_TTL_MS = 500;
const KILL_FLAGS_MAX = 10_000;

/**
 * The plugin surface (issue 17): a plugin's declared HTTP endpoints and Execute, on the installation that serves the
 * caller (their effective set: their own, else an organisation's, else the instance's). A caller without
 * credentials is served by the instance's installation only, and only for endpoints declared `public` once an
 * administrator allowed them. A killed plugin is refused (409 PLUGIN_KILLED) on every path, one that is not running
 * with 409 inactive. Calls go through PluginRuntime, whose observer times and counts every one of them (health,
 * metrics, logs and usage stats hang off `runtime.call`); an installation another API node hosts (its lease) is
 * called there, over the message bus (BusMessageRouter.call), and answers the same.
 */
@Injectable()
export class PluginEndpointsService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly installationRuntime: InstallationRuntime,
    private readonly runtime: PluginRuntime,
    private readonly versions: PluginVersionsService,
    private readonly switches: PublicEndpointsRepository,
    private readonly router: BusMessageRouter,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Plugin key → its kill flag, set as the read starts: a kill switch event clears reads still in flight too. */
  private readonly killFlags = new Map<string, { until: number; killed: Promise<boolean> }>();

  async request(caller: AuthUser | undefined, call: EndpointCall): Promise<EndpointResponse> {
    const serving = caller ? await this.servingUser(caller, call.key) : await this.servingAnonymous(call.key);
    const match = matchEndpoint(serving.endpoints, call.method, call.path);
    if ('error' in match) {
      if (!caller) throw new PublicEndpointsNotAllowedError();
      throw match.error === 'not_found'
        ? new EndpointNotFoundError(call.key)
        : new EndpointMethodNotAllowedError(call.key, match.allow);
    }
    if (!caller && match.endpoint.public !== true) throw new PublicEndpointsNotAllowedError();
    await this.assertRunnable(serving.installation);
    const id = this.installations.runtimeIdOf(serving.installation);
    const input: RequestInput = {
      method: call.method,
      path: call.path,
      query: call.query,
      headers: call.headers,
      body: call.body,
      user: caller ? { id: caller.id, name: caller.name, roles: [...caller.roles] } : null,
    };
    try {
      if (this.runtime.status(id)) return await this.runtime.request(id, input);
      const timeoutMs = serving.timeoutMs + REMOTE_GRACE_MS;
      return (await this.router.call(id, call.key, { kind: 'request', input }, timeoutMs)) as EndpointResponse;
    } catch (err) {
      throw pluginCallError(err, call.key, (text) => this.runtime.redact(id, text));
    }
  }

  /** Execute (seed 002): `data` to onProcess, within `timeoutSeconds` (the installation's timeout_ms bounds it). */
  async execute(caller: AuthUser, key: string, data: unknown, timeoutSeconds?: number): Promise<ExecuteResultDto> {
    const { installation, timeoutMs: limit } = await this.servingUser(caller, key);
    await this.assertRunnable(installation);
    const id = this.installations.runtimeIdOf(installation);
    const timeoutMs = timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000;
    const started = performance.now();
    try {
      const result = this.runtime.status(id)
        ? await this.runtime.process(id, data, { timeoutMs })
        : await this.router.call(
            id,
            key,
            { kind: 'process', data: data as JsonValue, timeoutMs: timeoutMs ?? null },
            Math.min(timeoutMs ?? limit, limit) + REMOTE_GRACE_MS,
          );
      return { result: result ?? null, duration_ms: Math.round((performance.now() - started) * 1000) / 1000 };
    } catch (err) {
      throw pluginCallError(err, key, (text) => this.runtime.redact(id, text));
    }
  }

  /** The administrator's switch for the instance's installation of `key` (NoGlobalInstallationError without one). */
  async setPublic(caller: AuthUser, key: string, allowed: boolean): Promise<PublicEndpointsDto> {
    const installation = await this.installations.findGlobal(key);
    if (!installation) throw new NoGlobalInstallationError(key);
    const saved = await this.switches.set({
      installationId: installation.id,
      pluginKey: key,
      allowed,
      setBy: caller.id,
      setAt: this.clock.now(),
    });
    return PublicEndpointsDto.from(saved);
  }

  /** A removed installation takes its switch along (a new global installation starts closed). */
  @OnPlughubEvent('plugin.uninstalled')
  async onUninstalled(event: PluginLifecycleEvent): Promise<void> {
    await this.switches.delete(event.installationId);
  }

  private async servingUser(caller: AuthUser, key: string): Promise<Serving> {
    const entry = await this.installations.effectiveFor(caller.id, key);
    if (!entry) throw new NotInstalledError(key);
    if (entry.installation.status === 'killed' || entry.overriddenBy?.status === 'killed') {
      throw new PluginKilledError(key);
    }
    if (!entry.active) throw new PluginInactiveError(key, entry.overriddenBy?.status ?? entry.installation.status);
    return { installation: entry.installation, ...(await this.surfaceOf(entry.installation)) };
  }

  /** Nothing is told to a caller without credentials but that they need some, unless the endpoint is open. */
  private async servingAnonymous(key: string): Promise<Serving> {
    const installation = await this.installations.findGlobal(key);
    if (!installation) throw new PublicEndpointsNotAllowedError();
    const open = await this.switches.find(installation.id);
    if (!open?.allowed) throw new PublicEndpointsNotAllowedError();
    if (installation.status === 'killed') throw new PluginKilledError(key);
    if (installation.status !== 'active') throw new PluginInactiveError(key, installation.status);
    return { installation, ...(await this.surfaceOf(installation)) };
  }

  /** A kill switch change on this node: every flag read before it is stale, one still being read included. */
  @OnPlughubEvent('plugin.killed')
  @OnPlughubEvent('plugin.revived')
  onKillSwitch(): void {
    this.killFlags.clear();
  }

  /** The kill switch as the registry holds it, for a kill not yet applied to the installation. */
  private async assertRunnable(installation: Installation): Promise<void> {
    if (await this.killed(installation.pluginKey)) throw new PluginKilledError(installation.pluginKey);
  }

  private killed(key: string): Promise<boolean> {
    const now = this.clock.nowMs();
    const hit = this.killFlags.get(key);
    if (hit && hit.until > now) return hit.killed;
    const killed = this.versions.storedPlugins([key]).then(([plugin]) => plugin?.killed === true);
    const entry = { until: now + KILL_FLAG_TTL_MS, killed };
    if (this.killFlags.size >= KILL_FLAGS_MAX) this.killFlags.clear();
    this.killFlags.set(key, entry);
    // A failed read is not kept: the next call reads again.
    killed.catch(() => {
      if (this.killFlags.get(key) === entry) this.killFlags.delete(key);
    });
    return killed;
  }

  private async surfaceOf(installation: Installation): Promise<Omit<Serving, 'installation'>> {
    const pkg = await this.installationRuntime.package(installation.pluginKey, installation.installedVersion);
    if (!pkg) throw new PluginInactiveError(installation.pluginKey, 'unloadable');
    const timeoutMs = installation.limits?.timeout_ms ?? pkg.manifest.limits?.timeout_ms ?? DEFAULT_LIMITS.timeout_ms;
    return { endpoints: pkg.manifest.endpoints ?? [], timeoutMs };
  }
}
