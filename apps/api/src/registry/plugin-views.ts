import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthUser,
  Clock,
  OnPlughubEvent,
  type PlughubEvents,
  type SerializedSlice,
  type Slice,
} from '@app/common';
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
/** How many values one read of a refresh asks for: other requests run between its reads. */
const REFRESH_CHUNK = 500;
/** Kept values read again at once when they expire (a read requests wait for); past it they are dropped. */
const REREAD_MAX = 2000;

/** One map of the maps read for the chunks of a read. */
function merged<V>(reads: Array<Map<string, V>>): Map<string, V> {
  const all = new Map<string, V>();
  for (const read of reads) for (const [id, value] of read) all.set(id, value);
  return all;
}

/**
 * Values kept together and refreshed together, so that no request waits for a value once it is kept, and none is
 * served more than `ttlMs` after its read started. Past half of that, the first request that looks starts one
 * refresh of every kept value (read in chunks of REFRESH_CHUNK, so other requests run between the reads) and goes
 * on with the kept ones; the values read replace them all at once. Past `ttlMs` without a refresh (an idle node),
 * or when the generation they depend on moves, every kept value (up to REREAD_MAX) is read again at once, and the
 * requests wait for that one read (`at` answers a promise then) instead of each reading those its page lacks; when
 * they all read as they were, `version` stays, so the answers built from them stand. Past REREAD_MAX, or when the
 * read fails, they are dropped and read again by the requests that need them.
 *
 * `version` moves whenever a value a request may have been given changes or goes, so an answer built from the
 * kept values stands while it does not.
 */
export class Kept<V> {
  private values = new Map<string, V>();
  /** When the read of the oldest kept value started. */
  private readAt = Number.NEGATIVE_INFINITY;
  private generation = 0;
  /** The refresh under way: when it started, and when the oldest read kept meanwhile started. */
  private refreshing: { started: number; oldestKept: number } | null = null;
  /** The read of every kept value that requests wait for (expired, or the generation moved). */
  private rereading: { generation: number; values: Promise<Map<string, V>> } | null = null;
  version = 0;

  constructor(
    private readonly ttlMs: number,
    /** Reads the value of every id asked (a value for each, also for those that do not exist). */
    private readonly read: (ids: string[]) => Promise<Map<string, V>>,
    private readonly clock: Clock,
  ) {}

  /**
   * The kept values as of now and `generation` (the write epoch's, where they depend on it); while they are read
   * again (expired, or the generation moved), a promise of them as read.
   */
  at(generation = 0): Map<string, V> | Promise<Map<string, V>> {
    if (this.rereading?.generation === generation) return this.rereading.values;
    const now = this.clock.nowMs();
    if (now - this.readAt >= this.ttlMs || generation !== this.generation || this.values.size > KEPT) {
      if (this.values.size && this.values.size <= REREAD_MAX) return this.reread(now, generation);
      this.drop(now, generation);
    } else if (!this.refreshing && now - this.readAt >= this.ttlMs / 2) {
      void this.refresh(now);
    }
    return this.values;
  }

  private drop(now: number, generation: number): void {
    this.values = new Map();
    this.readAt = now;
    this.generation = generation;
    this.version++;
  }

  /**
   * Reads every kept value again, from `started` at `generation`, for the requests that wait for it. A newer read
   * (the generation moved again meanwhile) supersedes it: its requests are answered what it read, which is kept
   * for none.
   */
  private reread(started: number, generation: number): Promise<Map<string, V>> {
    const ids = [...this.values.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += REFRESH_CHUNK) chunks.push(ids.slice(i, i + REFRESH_CHUNK));
    const rereading = { generation, values: Promise.all(chunks.map((chunk) => this.read(chunk))).then(merged) };
    this.rereading = rereading;
    return rereading.values.then(
      (fresh) => {
        if (this.rereading !== rereading) return fresh;
        this.rereading = null;
        // A value given before that reads otherwise now, or is gone, ends the answers built from it.
        const current = this.values;
        let changed = false;
        for (const [id, value] of current) if (!fresh.has(id) || fresh.get(id) !== value) changed = true;
        this.values = fresh;
        this.readAt = started;
        this.generation = generation;
        if (changed) this.version++;
        return fresh;
      },
      () => {
        if (this.rereading !== rereading) return new Map<string, V>();
        this.rereading = null;
        this.drop(started, generation);
        return this.values;
      },
    );
  }

  /**
   * Keeps `value`, read from `startedAt` on, if `values` (what `at` answered before the read) are still the kept
   * ones; answers whether it was kept.
   */
  keep(values: Map<string, V>, id: string, value: V, startedAt: number): boolean {
    if (values !== this.values) return false;
    values.set(id, value);
    if (this.refreshing) this.refreshing.oldestKept = Math.min(this.refreshing.oldestKept, startedAt);
    return true;
  }

  /** Whether `values` are still the kept ones (nothing was dropped or replaced since `at` answered them). */
  holds(values: Map<string, V>): boolean {
    return values === this.values;
  }

  private async refresh(started: number): Promise<void> {
    const old = this.values;
    const ids = [...old.keys()];
    const refreshing = { started, oldestKept: started };
    this.refreshing = refreshing;
    try {
      const fresh = new Map<string, V>();
      for (let i = 0; i < ids.length; i += REFRESH_CHUNK) {
        const read = await this.read(ids.slice(i, i + REFRESH_CHUNK));
        for (const [id, value] of read) fresh.set(id, value);
      }
      // Dropped meanwhile (expired, or the generation moved): what was read may be older than the drop.
      if (this.values !== old) return;
      const changed = ids.some((id) => !fresh.has(id) || fresh.get(id) !== old.get(id));
      // Values kept while the refresh read (after the ids it read, in the map's order) stay, and the oldest of
      // their reads counts as the values' age.
      let n = 0;
      for (const [id, value] of old) if (n++ >= ids.length && !fresh.has(id)) fresh.set(id, value);
      this.values = fresh;
      this.readAt = refreshing.oldestKept;
      if (changed) this.version++;
    } catch {
      // The kept values stay until they expire; the requests after that read them again.
    } finally {
      if (this.refreshing === refreshing) this.refreshing = null;
    }
  }
}

/** An answer built from kept values: its items' JSON, and the versions of the names and counts it shows. */
interface Built {
  names: number;
  counts: number;
  json: string;
}

/** The keys of a caller who has none (no caller). */
const NO_KEYS: InstalledKeys = { installed: [], active: [] };

/**
 * Plugins as the API answers them: with owner names, installation counts and the caller's installation flags.
 * Every list item shows its owner's name and installation count, so both are kept (`Kept`, refreshed before they
 * expire, so no request waits for them): names for OWNER_NAME_TTL_MS, counts for INSTALL_COUNT_TTL_MS and as long
 * as the registry's write epoch stands, which an installation created or removed on this node moves at once (and,
 * through its shared counter, on the other nodes within its poll).
 *
 * A catalog page is built and serialised once per page the repository keeps (an object it answers again while
 * nothing changed), caller's installed and active keys (an object RegistryInstallations answers again while they
 * are the same), and versions of the kept names and counts: the same request then gets the same JSON text
 * without any item being built or serialised again.
 */
@Injectable()
export class PluginViews {
  private readonly names: Kept<string>;
  private readonly counts: Kept<number>;
  private readonly built = new WeakMap<Slice<Plugin>, WeakMap<InstalledKeys, Built>>();
  /** Catalog pages answered from a built one, and pages built (a bench's figures). */
  builtHits = 0;
  builtMisses = 0;

  constructor(
    private readonly users: UsersService,
    private readonly orgs: OrgsService,
    private readonly installations: RegistryInstallations,
    private readonly epoch: RegistryWriteEpoch,
    @Inject(Clock) private readonly clock: Clock,
  ) {
    this.names = new Kept(OWNER_NAME_TTL_MS, (ids) => this.readNames(ids), clock);
    this.counts = new Kept(INSTALL_COUNT_TTL_MS, (keys) => this.readCounts(keys), clock);
  }

  /** Installing or removing a plugin changes its count (a status change does not). */
  @OnPlughubEvent('installation.changed')
  async installationChanged(event: PlughubEvents['installation.changed']): Promise<void> {
    if (event.from === null || event.to === 'uninstalled') await this.epoch.written(true, 'counts');
  }

  /**
   * A page the repository answered (and keeps: `page` must not change), as its items' JSON, with `mine` or the
   * caller's keys: the one built for the same page, keys, names and counts, or built now (and kept with the page).
   */
  async serialized(page: Slice<Plugin>, caller: AuthUser | null, mine?: InstalledKeys): Promise<SerializedSlice> {
    const keys = mine ?? (caller ? await this.installations.keysFor(caller) : NO_KEYS);
    const counts = await this.counts.at(await this.epoch.current());
    const names = await this.names.at();
    const stamp = { names: this.names.version, counts: this.counts.version };
    let byKeys = this.built.get(page);
    const hit = byKeys?.get(keys);
    if (hit && hit.names === stamp.names && hit.counts === stamp.counts) {
      this.builtHits++;
      return { count: page.count, json: hit.json };
    }
    this.builtMisses++;
    const json = JSON.stringify(await this.responses(page.items, caller, keys));
    // Kept only if every name and count it shows is still kept as it was (nothing dropped or replaced meanwhile).
    if (this.names.holds(names) && this.counts.holds(counts)) {
      if (!byKeys) this.built.set(page, (byKeys = new WeakMap()));
      byKeys.set(keys, { ...stamp, json });
    }
    return { count: page.count, json };
  }

  async responses(plugins: Plugin[], caller: AuthUser | null, mine?: InstalledKeys): Promise<PluginResponseDto[]> {
    if (!plugins.length) return [];
    const [names, counts, keys] = await Promise.all([
      this.ownerNames(plugins),
      this.installationCounts(plugins.map((p) => p.key)),
      mine ?? (caller ? this.installations.keysFor(caller) : Promise.resolve(NO_KEYS)),
    ]);
    const installed = new Set(keys.installed);
    const active = new Set(keys.active);
    return plugins.map((plugin) =>
      PluginResponseDto.from({
        plugin,
        owner: {
          type: plugin.ownerType,
          id: plugin.ownerId,
          name: plugin.ownerType === 'system' ? 'system' : (names.get(ownerOf(plugin)) ?? ''),
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

  /** Names by `user:<id>` / `org:<id>`: the kept ones, the others read in one call per kind and kept. */
  private async ownerNames(plugins: Plugin[]): Promise<Map<string, string>> {
    const kept = await this.names.at();
    const names = new Map<string, string>();
    const missing = new Set<string>();
    for (const p of plugins) {
      if (!p.ownerId || p.ownerType === 'system') continue;
      const id = ownerOf(p);
      const name = kept.get(id);
      if (name !== undefined) names.set(id, name);
      else missing.add(id);
    }
    if (!missing.size) return names;
    const started = this.clock.nowMs();
    for (const [id, name] of await this.readNames([...missing])) {
      names.set(id, name);
      this.names.keep(kept, id, name, started);
    }
    return names;
  }

  /**
   * The names of `ids` (`user:<id>` / `org:<id>`), one call per kind; an owner that no longer exists has none
   * (and is kept so, or each page showing it would ask again).
   */
  private async readNames(ids: string[]): Promise<Map<string, string>> {
    const userIds: string[] = [];
    const orgIds: string[] = [];
    for (const id of ids) {
      if (id.startsWith('user:')) userIds.push(id.slice(5));
      else orgIds.push(id.slice(4));
    }
    const [users, orgs] = await Promise.all([
      userIds.length ? this.users.findByIds(userIds) : Promise.resolve([]),
      orgIds.length ? this.orgs.findByIds(orgIds) : Promise.resolve([]),
    ]);
    const names = new Map(ids.map((id) => [id, '']));
    for (const u of users) names.set(`user:${u.id}`, u.name);
    for (const o of orgs) names.set(`org:${o.id}`, o.slug);
    return names;
  }

  /** Counts by key: those kept at the current generation, the others read in one call and kept. */
  private async installationCounts(keys: string[]): Promise<Map<string, number>> {
    const kept = await this.counts.at(await this.epoch.current());
    const counts = new Map<string, number>();
    const missing: string[] = [];
    for (const key of keys) {
      const n = kept.get(key);
      if (n !== undefined) counts.set(key, n);
      else missing.push(key);
    }
    if (!missing.length) return counts;
    const started = this.clock.nowMs();
    const read = await this.readCounts(missing);
    // Kept only while the generation read at is still the current one (a change meanwhile drops them).
    await this.counts.at(await this.epoch.current());
    for (const [key, n] of read) {
      counts.set(key, n);
      this.counts.keep(kept, key, n, started);
    }
    return counts;
  }

  private async readCounts(keys: string[]): Promise<Map<string, number>> {
    const read = await this.installations.countInstallations(keys);
    return new Map(keys.map((key) => [key, read.get(key) ?? 0]));
  }
}

/** The owner of a plugin that has one, as `user:<id>` or `org:<id>`. */
function ownerOf(plugin: Plugin): string {
  return `${plugin.ownerType}:${plugin.ownerId}`;
}
