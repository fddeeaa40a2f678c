import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Viewer } from '../auth/auth.entity.js';
import { canSee, reaches, recipientsOf, visibilityOf } from './event-routing.js';
import type { EventOwner } from './messaging.entity.js';

const user = (id: string): EventOwner => ({ scope: 'user', userId: id, orgId: null });
const org = (id: string): EventOwner => ({ scope: 'org', userId: null, orgId: id });
const global: EventOwner = { scope: 'global', userId: null, orgId: null };

const viewer = (id: string, orgs: string[] = [], isAdmin = false): Viewer => ({
  id,
  roles: isAdmin ? ['admin'] : ['user'],
  isAdmin,
  orgRoles: new Map(orgs.map((o) => [o, 'member' as const])),
});

const owners = fc.oneof(
  fc.constant(global),
  fc.constantFrom('u1', 'u2').map(user),
  fc.constantFrom('o1', 'o2').map(org),
);

describe('reaches', () => {
  it('lets a global subscriber receive everything, and everybody receive global and platform events', () => {
    fc.assert(fc.property(owners, (o) => reaches(global, o) && reaches(o, global) && reaches(o, null)));
  });

  it('keeps one user’s or organisation’s events from another’s plugins', () => {
    expect(reaches(user('u1'), user('u2'))).toBe(false);
    expect(reaches(org('o1'), org('o2'))).toBe(false);
    expect(reaches(user('u1'), org('o1'))).toBe(false);
    expect(reaches(org('o1'), user('u1'))).toBe(false);
    expect(reaches(user('u1'), user('u1'))).toBe(true);
    expect(reaches(org('o1'), org('o1'))).toBe(true);
  });
});

describe('recipientsOf', () => {
  const sub = (id: string, owner: EventOwner, subscribes: string[]) => ({
    installationId: id,
    pluginKey: `acme.${id}`,
    owner,
    subscribes,
  });

  it('picks the subscribers with a matching pattern that the event reaches', () => {
    const subs = [
      sub('a', global, ['orders.*']),
      sub('b', user('u1'), ['*']),
      sub('c', user('u2'), ['*']),
      sub('d', global, ['users.login']),
      sub('e', user('u1'), ['orders']),
    ];
    const ids = recipientsOf({ type: 'orders.created', owner: user('u1') }, subs).map((s) => s.installationId);
    expect(ids).toEqual(['a', 'b']);
  });
});

describe('visibility', () => {
  it('agrees with reaches for every reader that is not an admin', () => {
    fc.assert(
      fc.property(fc.constantFrom('u1', 'u2'), fc.subarray(['o1', 'o2']), owners, (id, orgs, owner) => {
        const v = visibilityOf(viewer(id, orgs));
        const expected =
          owner.scope === 'global' ||
          (owner.scope === 'user' && owner.userId === id) ||
          (owner.scope === 'org' && orgs.includes(owner.orgId!));
        return canSee(v, owner) === expected;
      }),
    );
  });

  it('shows platform events (no owner) to admins only', () => {
    expect(canSee(visibilityOf(viewer('u1', [], true)), null)).toBe(true);
    expect(canSee(visibilityOf(viewer('u1', ['o1'])), null)).toBe(false);
  });
});
