import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, OnPlughubEvent, type PlughubEvents } from '@app/common';
import { OrgsService } from '../orgs/orgs.service.js';
import { UsersService } from '../users/users.service.js';
import { PluginResponseDto } from './dto/plugin-response.dto.js';
import { RegistryWriteEpoch } from './persistence/registry-epoch.js';
import type { Plugin } from './registry.entity.js';
import { RegistryInstallations } from './registry-installations.js';

export interface InstalledKeys {
  installed: string[];
  active: string[];
}

/** How long an owner's name is reused at most: a rename (users and organisations) shows within this. */
export const OWNER_NAME_TTL_MS = 2000;
/**
 * How long an installation count is reused at most, should an installation come or go without its event (the
 * event moves the epoch at once).
 */
export const INSTALL_COUNT_TTL_MS = 10_000;
/** Owner names and installation counts kept at most; past it they are all read again. */
const KEPT = 20_000;

/**
 * Values kept together and dropped together once `ttlMs` after the first was read, so a page whose items were read
 * at different times is not read again item by item (one read per request) but all at once, every `ttlMs` at most.
 */
class Kept<V> {
  private values = new Map<string, V>();
  private until = 0;
  private generation = 0;

  constructor(private readonly ttlMs: number) {}

  /** The kept values as of `now` and `generation` (the write epoch's, where they depend on it). */
  at(now: number, generation = 0): Map<string, V> {
    if (now >= this.until || generation !== this.generation || this.values.size > KEPT) {
      this.values = new Map();
      this.until = now + this.ttlMs;
      this.generation = generation;
    }
    return this.values;
  }
}

/**
 * Plugins as the API answers them: with owner names, installation counts and the caller's installation flags.
 * Every list item shows its owner's name and installation count, so both are kept: names for OWNER_NAME_TTL_MS,
 * counts for as long as the registry's write epoch stands, which an installation created or removed on this node
 * moves at once (and, through its shared counter, on the other nodes within its poll).
 */
@Injectable()
export class PluginViews {
  private readonly names = new Kept<string>(OWNER_NAME_TTL_MS);
  private readonly counts = new Kept<number>(INSTALL_COUNT_TTL_MS);

  constructor(
    private readonly users: UsersService,
    private readonly orgs: OrgsService,
    private readonly installations: RegistryInstallations,
    private readonly epoch: RegistryWriteEpoch,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** Installing or removing a plugin changes its count (a status change does not). */
  @OnPlughubEvent('installation.changed')
  async installationChanged(event: PlughubEvents['installation.changed']): Promise<void> {
    if (event.from === null || event.to === 'uninstalled') await this.epoch.written(true, 'counts');
  }

  async responses(plugins: Plugin[], caller: AuthUser | null, mine?: InstalledKeys): Promise<PluginResponseDto[]> {
    if (!plugins.length) return [];
    const [names, counts, keys] = await Promise.all([
      this.ownerNames(plugins),
      this.installationCounts(plugins.map((p) => p.key)),
      mine ?? (caller ? this.installations.keysFor(caller) : Promise.resolve({ installed: [], active: [] })),
    ]);
    const installed = new Set(keys.installed);
    const active = new Set(keys.active);
    return plugins.map((plugin) =>
      PluginResponseDto.from({
        plugin,
        owner: {
          type: plugin.ownerType,
          id: plugin.ownerId,
          name: plugin.ownerType === 'system' ? 'system' : (names.get(`${plugin.ownerType}:${plugin.ownerId}`) ?? ''),
        },
        installed: installed.has(plugin.key),
        active: active.has(plugin.key),
        installations: counts.get(plugin.key) ?? 0,
      }),
    );
  }

  async response(plugin: Plugin, caller: AuthUser | null): Promise<PluginResponseDto> {
    const [view] = await this.responses([plugin], caller);
    return view;
  }

  /** Names by `user:<id>` / `org:<id>`: the kept ones, the others read in one call per kind. */
  private async ownerNames(plugins: Plugin[]): Promise<Map<string, string>> {
    const kept = this.names.at(this.clock.nowMs());
    const names = new Map<string, string>();
    const userIds = new Set<string>();
    const orgIds = new Set<string>();
    for (const p of plugins) {
      if (!p.ownerId || p.ownerType === 'system') continue;
      const id = `${p.ownerType}:${p.ownerId}`;
      const name = kept.get(id);
      if (name !== undefined) names.set(id, name);
      else (p.ownerType === 'user' ? userIds : orgIds).add(p.ownerId);
    }
    if (!userIds.size && !orgIds.size) return names;
    const [users, orgs] = await Promise.all([
      userIds.size ? this.users.findByIds([...userIds]) : Promise.resolve([]),
      orgIds.size ? this.orgs.findByIds([...orgIds]) : Promise.resolve([]),
    ]);
    const read: Array<[string, string]> = [
      ...users.map((u): [string, string] => [`user:${u.id}`, u.name]),
      ...orgs.map((o): [string, string] => [`org:${o.id}`, o.slug]),
    ];
    for (const [id, name] of read) {
      names.set(id, name);
      kept.set(id, name);
    }
    // An owner that no longer exists is kept too (without a name), or each page showing it would ask again.
    for (const id of [...[...userIds].map((u) => `user:${u}`), ...[...orgIds].map((o) => `org:${o}`)]) {
      if (!names.has(id)) kept.set(id, '');
    }
    return names;
  }

  /** Counts by key: those kept at the current generation, the others read in one call and kept. */
  private async installationCounts(keys: string[]): Promise<Map<string, number>> {
    const generation = await this.epoch.current();
    const kept = this.counts.at(this.clock.nowMs(), generation);
    const counts = new Map<string, number>();
    const missing: string[] = [];
    for (const key of keys) {
      const n = kept.get(key);
      if (n !== undefined) counts.set(key, n);
      else missing.push(key);
    }
    if (!missing.length) return counts;
    const read = await this.installations.countInstallations(missing);
    // Kept only while the generation read at is still the current one (a change meanwhile drops them).
    const keep = this.counts.at(this.clock.nowMs(), await this.epoch.current()) === kept;
    for (const key of missing) {
      const n = read.get(key) ?? 0;
      counts.set(key, n);
      if (keep) kept.set(key, n);
    }
    return counts;
  }
}
