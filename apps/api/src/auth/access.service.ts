import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, hasRole, notFound, validationError } from '@app/common';
import { may } from './access.policy.js';
import type { AccessAction, AccessTarget, ResolvedTarget, TargetScope, Viewer } from './auth.entity.js';
import { MEMBERSHIP_LOOKUP, type MembershipLookup } from './auth.ports.js';

/**
 * The one access seam (immich's access repository): who the caller is (`viewer`) and what they may act on
 * (`can`, `assert`), plus the §4 `scope`/`org` query parameters turned into a target (`resolveTarget`). Every
 * module that has owners uses it instead of reading memberships itself:
 *
 *   const target = await this.access.resolveTarget(caller, query);          // 404 for an org the caller cannot see
 *   await this.access.assert(caller, 'manage', target, () => new NotYoursError());
 *
 * The viewer is resolved once per request: it is cached on the request's caller object (`AuthUser`, created per
 * request by the auth guard), so a handler asking five times reads memberships once.
 */
@Injectable()
export class AccessService {
  private readonly viewers = new WeakMap<AuthUser, Promise<Viewer>>();

  constructor(@Inject(MEMBERSHIP_LOOKUP) private readonly memberships: MembershipLookup) {}

  /** The caller with their roles and organisation memberships. */
  viewer(caller: AuthUser): Promise<Viewer> {
    let viewer = this.viewers.get(caller);
    if (!viewer) {
      viewer = this.memberships.rolesOf(caller.id).then((orgRoles) => ({
        id: caller.id,
        roles: caller.roles,
        isAdmin: hasRole(caller, 'admin'),
        orgRoles,
      }));
      // A failed lookup is not cached: the next call tries again.
      void viewer.catch(() => this.viewers.delete(caller));
      this.viewers.set(caller, viewer);
    }
    return viewer;
  }

  /** Drops the cached viewer after the caller's own memberships changed within the request. */
  forget(caller: AuthUser): void {
    this.viewers.delete(caller);
  }

  /** May the caller do `action` on `target`? Reads memberships only when the target is an organisation. */
  async can(caller: AuthUser, action: AccessAction, target: AccessTarget): Promise<boolean> {
    if (target.kind !== 'org') return may(this.bare(caller), action, target);
    return may(await this.viewer(caller), action, target);
  }

  /** Throws `deny()` unless the caller may do `action` on `target`. */
  async assert(caller: AuthUser, action: AccessAction, target: AccessTarget, deny: () => Error): Promise<void> {
    if (!(await this.can(caller, action, target))) throw deny();
  }

  /**
   * The target chosen by the §4 query parameters: `scope` (user, org or global; default user, the caller's own)
   * and `org` (slug or id; implies scope org). An organisation the caller may not read is NOT_FOUND, as if it did
   * not exist; whether the caller may act on the target is for `can`/`assert`.
   */
  async resolveTarget(caller: AuthUser, query: { scope?: TargetScope; org?: string }): Promise<ResolvedTarget> {
    const scope = query.scope ?? (query.org !== undefined ? 'org' : 'user');
    if (query.org !== undefined && scope !== 'org') {
      throw validationError([{ field: 'org', message: 'goes only with scope=org' }]);
    }
    switch (scope) {
      case 'user':
        return { kind: 'user', id: caller.id };
      case 'global':
        return { kind: 'global' };
      case 'org': {
        if (!query.org) throw validationError([{ field: 'org', message: 'is required with scope=org' }]);
        const org = await this.memberships.findOrg(query.org);
        if (!org || !(await this.can(caller, 'read', { kind: 'org', id: org.id }))) throw notFound('Organisation');
        return { kind: 'org', id: org.id, org };
      }
    }
  }

  /** A viewer without memberships, for rules that do not look at them. */
  bare(caller: AuthUser): Viewer {
    return { id: caller.id, roles: caller.roles, isAdmin: hasRole(caller, 'admin'), orgRoles: new Map() };
  }
}
