import type { AuthRequirement, AuthUser, TokenScope } from '@app/common';
import { describe, expect, it } from 'vitest';
import { assertAccess, effectiveCaller, effectiveRoles, scopesWithin } from './token-scopes.js';

const token = (scopes: TokenScope[] | null, roles: AuthUser['roles'] = ['user']) => ({ roles, scopes });
/** The reason of the refusal, or null when the call is allowed. */
function refusal(user: ReturnType<typeof token>, method: string, requirement: AuthRequirement): string | null {
  try {
    assertAccess(user, method, requirement);
    return null;
  } catch (err) {
    return (err as { details: { reason: string } }).details.reason;
  }
}

describe('token scopes on a route', () => {
  it('lets a read-only token read', () => {
    expect(refusal(token(['read']), 'GET', {})).toBeNull();
  });

  it('keeps a read-only token from writing', () => {
    expect(refusal(token(['read']), 'POST', {})).toBe('token_read_only');
  });

  it('lets a write token write', () => {
    expect(refusal(token(['read', 'write']), 'DELETE', {})).toBeNull();
  });

  it('keeps an admin’s token without the admin scope from admin routes', () => {
    expect(refusal(token(['read', 'write'], ['admin']), 'GET', { roles: ['admin'] })).toBe('token_not_admin');
  });

  it('lets an admin’s token with the admin scope on admin routes', () => {
    expect(refusal(token(['read', 'admin'], ['admin']), 'GET', { roles: ['admin'] })).toBeNull();
  });

  it('gives a JWT (no scopes) all of the user’s rights', () => {
    expect(refusal(token(null, ['admin']), 'PATCH', { roles: ['admin'] })).toBeNull();
  });

  it('refuses a caller without the route’s role, whatever the scopes', () => {
    expect(refusal(token(null), 'GET', { roles: ['admin'] })).toBe('missing_role');
  });
});

describe('scopes of a token created by a token', () => {
  it('are anything when the creator has all rights', () => {
    expect(scopesWithin([], null)).toBe(true);
  });

  it('must be a subset of the creator’s', () => {
    expect([scopesWithin(['read'], ['read', 'write']), scopesWithin(['admin'], ['read', 'write'])]).toEqual([
      true,
      false,
    ]);
  });

  it('may not be "all rights" when the creator is scoped', () => {
    expect(scopesWithin([], ['read'])).toBe(false);
  });
});

describe('the roles a caller acts with', () => {
  it('are the user’s for a JWT and for a token with the admin scope', () => {
    expect([effectiveRoles(['admin'], null), effectiveRoles(['admin'], ['read', 'write', 'admin'])]).toEqual([
      ['admin'],
      ['admin'],
    ]);
  });

  it('lose admin for a token without the admin scope, keeping the other roles', () => {
    expect([
      effectiveRoles(['admin'], ['read', 'write']),
      effectiveRoles(['admin', 'publisher'], ['read']),
      effectiveRoles(['reviewer'], ['read']),
    ]).toEqual([['user'], ['publisher'], ['reviewer']]);
  });

  it('are set on the caller without touching the rest of it', () => {
    const user = {
      id: 'u',
      email: 'u@x.test',
      name: 'U',
      roles: ['admin'],
      method: 'token',
      scopes: ['read'],
    } as const;
    expect(effectiveCaller({ ...user, roles: [...user.roles], scopes: [...user.scopes] })).toEqual({
      ...user,
      roles: ['user'],
      scopes: ['read'],
    });
  });
});
