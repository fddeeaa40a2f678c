import type { AccessTarget, ResolvedTarget } from '../auth/auth.entity.js';
import type { EventTarget, Installation, InstallationTarget } from './installation.entity.js';

/** The installation target a resolved §4 `scope`/`org` names. */
export function installationTarget(resolved: ResolvedTarget | AccessTarget): InstallationTarget {
  switch (resolved.kind) {
    case 'user':
      return { scope: 'user', userId: resolved.id };
    case 'org':
      return { scope: 'org', orgId: resolved.id };
    case 'global':
      return { scope: 'global' };
  }
}

/** The access target AccessService checks for an installation target. */
export function accessTarget(target: InstallationTarget): AccessTarget {
  switch (target.scope) {
    case 'user':
      return { kind: 'user', id: target.userId };
    case 'org':
      return { kind: 'org', id: target.orgId };
    case 'global':
      return { kind: 'global' };
  }
}

/** One string per target: the journal's lock (one multi-step operation per target at a time). */
export function targetKey(target: InstallationTarget): string {
  switch (target.scope) {
    case 'user':
      return `user:${target.userId}`;
    case 'org':
      return `org:${target.orgId}`;
    case 'global':
      return 'global';
  }
}

export function eventTarget(target: InstallationTarget): EventTarget {
  return {
    scope: target.scope,
    userId: target.scope === 'user' ? target.userId : null,
    orgId: target.scope === 'org' ? target.orgId : null,
  };
}

/** The fields every installation event starts with: which installation, of which plugin, in which target. */
export function eventSubject(installation: Installation): {
  installationId: string;
  pluginKey: string;
  target: EventTarget;
} {
  return {
    installationId: installation.id,
    pluginKey: installation.pluginKey,
    target: eventTarget(installation.target),
  };
}

export function sameTarget(a: InstallationTarget, b: InstallationTarget): boolean {
  return targetKey(a) === targetKey(b);
}

/** Specificity: a user's own installation wins over an organisation's, which wins over the global one. */
export const SCOPE_RANK: Record<InstallationTarget['scope'], number> = { user: 0, org: 1, global: 2 };

/** The targets whose installations make up a user's effective set: their own, their organisations', global. */
export function effectiveTargets(userId: string, orgIds: Iterable<string>): InstallationTarget[] {
  return [
    { scope: 'user', userId },
    ...[...orgIds].sort().map((orgId): InstallationTarget => ({ scope: 'org', orgId })),
    { scope: 'global' },
  ];
}
