import type { Installation } from './installation.entity.js';
import { SCOPE_RANK } from './targets.js';

/** One plugin of a user's effective set: the installation that serves them and whether it is on for them. */
export interface EffectiveEntry {
  /** The most specific installation of the plugin the user has: their own, else an organisation's, else global. */
  installation: Installation;
  /** On for the user: that installation is active and no broader one of the same plugin is switched off. */
  active: boolean;
  /** The broader installation (an organisation's or the global one) whose disable or kill overrides it, or null. */
  overriddenBy: Installation | null;
}

const OFF = new Set(['disabled', 'killed']);

/**
 * A user's effective set from the installations of their targets (their own, their organisations', the global
 * ones): one entry per plugin key, sorted by key. Among installations of the same scope the active one serves
 * (two organisations of the user may both have it), then the oldest. An organisation's or the instance's disable
 * (or kill) overrides a more specific installation: the plugin is off for the user even if their own one runs.
 */
export function effectiveSet(installations: readonly Installation[]): EffectiveEntry[] {
  const byKey = new Map<string, Installation[]>();
  for (const installation of installations) {
    byKey.set(installation.pluginKey, [...(byKey.get(installation.pluginKey) ?? []), installation]);
  }
  const entries: EffectiveEntry[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const candidates = [...byKey.get(key)!].sort(
      (a, b) =>
        SCOPE_RANK[a.target.scope] - SCOPE_RANK[b.target.scope] ||
        Number(b.status === 'active') - Number(a.status === 'active') ||
        a.installedAt.getTime() - b.installedAt.getTime() ||
        a.id.localeCompare(b.id),
    );
    const winner = candidates[0];
    const overriddenBy =
      candidates.find((c) => SCOPE_RANK[c.target.scope] > SCOPE_RANK[winner.target.scope] && OFF.has(c.status)) ?? null;
    entries.push({ installation: winner, active: winner.status === 'active' && overriddenBy === null, overriddenBy });
  }
  return entries;
}
