import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, OnPlughubEvent } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import { INSTALLATION_LOOKUP, type InstallationLookup, type InstallationState } from './registry.ports.js';

/**
 * How long a caller's installed and active keys are reused at most: an installation change on another node (whose
 * `installation.changed` this node does not hear) shows here within this.
 */
export const INSTALLED_KEYS_TTL_MS = 2000;
/** Callers whose keys are kept at most; past it they are all read again. */
const KEYS_KEPT = 10_000;

type Keys = { installed: string[]; active: string[] };

const sameKeys = (a: Keys, b: Keys) =>
  a.installed.length === b.installed.length &&
  a.active.length === b.active.length &&
  a.installed.every((k, i) => k === b.installed[i]) &&
  a.active.every((k, i) => k === b.active[i]);

/**
 * The registry's access to INSTALLATION_LOOKUP, which the installation module binds (registry.ports.ts).
 *
 * Every catalog page shows the caller's `is_installed`/`active` flags, so the caller's keys are kept: per user and
 * set of organisations (a membership change, which the roles AccessService reads show at once on this node, is
 * another entry), until any installation changes on this node (`installation.changed`: an organisation's or the
 * global one changes many callers' keys), and INSTALLED_KEYS_TTL_MS at most. Keys read again and found the same
 * are answered as the same object, so what is built from them (catalog pages, plugin-views.ts) stands.
 */
@Injectable()
export class RegistryInstallations implements InstallationLookup {
  /** An entry is set as its read starts, so a change heard after that drops a read it may have overtaken. */
  private readonly keys = new Map<string, { until: number; value: Promise<Keys>; read?: Keys }>();

  constructor(
    @Inject(INSTALLATION_LOOKUP) private readonly lookup: InstallationLookup,
    private readonly access: AccessService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  @OnPlughubEvent('installation.changed')
  installationChanged(): void {
    this.keys.clear();
  }

  stateFor(caller: AuthUser, key: string): Promise<InstallationState | null> {
    return this.lookup.stateFor(caller, key);
  }

  /** The caller's keys (shared with other requests: not to be changed). */
  async keysFor(caller: AuthUser): Promise<Keys> {
    const viewer = await this.access.viewer(caller);
    const id = [caller.id, ...[...viewer.orgRoles.keys()].sort()].join(' ');
    const now = this.clock.nowMs();
    const hit = this.keys.get(id);
    if (hit && hit.until > now) return hit.value;
    const before = hit?.read;
    const entry: { until: number; value: Promise<Keys>; read?: Keys } = {
      until: now + INSTALLED_KEYS_TTL_MS,
      value: this.lookup
        .keysFor(caller)
        .then((read) => (entry.read = before && sameKeys(before, read) ? before : read)),
    };
    if (this.keys.size >= KEYS_KEPT) this.keys.clear();
    this.keys.set(id, entry);
    // A failed read is not kept: the next call reads again.
    entry.value.catch(() => {
      if (this.keys.get(id) === entry) this.keys.delete(id);
    });
    return entry.value;
  }

  countInstallations(keys: string[]): Promise<Map<string, number>> {
    return this.lookup.countInstallations(keys);
  }

  countInstalledDependents(key: string): Promise<number> {
    return this.lookup.countInstalledDependents(key);
  }
}
