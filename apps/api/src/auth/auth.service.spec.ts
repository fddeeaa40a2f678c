import { JwtService } from '@nestjs/jwt';
import type { AuthUser } from '@app/common';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { hashApiKey } from './api-key.js';
import type { ApiToken } from './auth.entity.js';
import { AuthService } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';
import { ApiTokenRepository } from './persistence/api-token.repository.js';
import { LoginFailureRepository } from './persistence/login-failure.repository.js';

const KEY = 'phk_0123456789';
const token = (t: Partial<ApiToken> = {}): ApiToken => ({
  id: 't1',
  userId: 'u1',
  name: 'ci',
  keyPrefix: 'phk_012345',
  scopes: [],
  expiresAt: null,
  lastUsedAt: new Date(),
  revokedAt: null,
  createdAt: new Date(0),
  ...t,
});
const user = { id: 'u1', email: 'u1@x.test', name: 'U', roles: ['user'], isActive: true, tokenVersion: 2 } as User;

let tokens: ReturnType<typeof strictMock<ApiTokenRepository>>;
let users: ReturnType<typeof strictMock<UsersService>>;
let failures: ReturnType<typeof strictMock<LoginFailureRepository>>;
let clock: TestClock;
let jwt: JwtService;
let auth: AuthService;

beforeEach(() => {
  tokens = strictMock(ApiTokenRepository);
  users = strictMock(UsersService);
  clock = new TestClock();
  const config = {
    jwt: { secret: 'x'.repeat(32), ttlSeconds: 60 },
    admin: { email: 'a@b.c', password: null },
    openSignup: false,
    loginThrottle: { perAccount: 2, perAddress: 3, windowSeconds: 60 },
    secretDir: null,
  };
  failures = strictMock(LoginFailureRepository);
  const throttle = new LoginThrottle(failures, config, clock);
  jwt = new JwtService({ secret: 'x'.repeat(32), signOptions: { algorithm: 'HS256', expiresIn: 60 } });
  auth = new AuthService(users, tokens, jwt, throttle, config, clock);
  users.findForAuth.mockResolvedValue(user);
});

describe('API keys', () => {
  it('authenticate until they expire, judged by the app’s clock', async () => {
    tokens.findByHash.mockResolvedValue(token({ expiresAt: new Date(clock.nowMs() + 1500) }));
    expect((await auth.userFromApiKey(KEY))?.id).toBe('u1');
    clock.advance(1600);
    expect(await auth.userFromApiKey(KEY)).toBeNull();
  });

  it('are looked up by their hash, never by the key itself', async () => {
    tokens.findByHash.mockResolvedValue(null);
    await auth.userFromApiKey(KEY);
    expect(tokens.findByHash).toHaveBeenCalledWith(hashApiKey(KEY));
  });

  it('stop working once revoked', async () => {
    tokens.findByHash.mockResolvedValue(token({ revokedAt: new Date() }));
    expect(await auth.userFromApiKey(KEY)).toBeNull();
  });

  it('carry their scopes to the caller; none means all rights', async () => {
    tokens.findByHash.mockResolvedValueOnce(token({ scopes: ['read'] })).mockResolvedValueOnce(token());
    expect([(await auth.userFromApiKey(KEY))?.scopes, (await auth.userFromApiKey(KEY))?.scopes]).toEqual([
      ['read'],
      null,
    ]);
  });

  it('note when they were used, at most once a minute', async () => {
    tokens.findByHash.mockResolvedValue(token({ lastUsedAt: new Date(clock.nowMs() - 61_000) }));
    tokens.touch.mockResolvedValue(undefined);
    await auth.userFromApiKey(KEY);
    expect(tokens.touch).toHaveBeenCalledTimes(1);
  });
});

describe('sign-up', () => {
  it('is refused while PLUGHUB_OPEN_SIGNUP is off', () => {
    expect(() => auth.register({ email: 'a@b.c', password: 'password1', name: 'A' })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', details: { reason: 'signup_disabled' } }),
    );
  });
});

describe('JWTs', () => {
  it('stop working once the user’s token version moved on (a password change)', async () => {
    expect([
      (await auth.userFromJwt({ sub: 'u1', ver: 2 }))?.id,
      await auth.userFromJwt({ sub: 'u1', ver: 1 }),
    ]).toEqual(['u1', null]);
  });
});

describe('authenticate (the global guard’s question)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('verifies a bearer JWT once, then knows it, while still reading the user on every request', async () => {
    const bearer = `Bearer ${jwt.sign({ sub: 'u1', ver: 2 })}`;
    const verify = vi.spyOn(jwt, 'verify');
    expect([(await auth.authenticate(bearer))?.id, (await auth.authenticate(bearer))?.id]).toEqual(['u1', 'u1']);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(users.findForAuth).toHaveBeenCalledTimes(2);
  });

  it('refuses a known JWT at once when the user’s token version moved on, or the user was deactivated', async () => {
    const bearer = `Bearer ${jwt.sign({ sub: 'u1', ver: 2 })}`;
    expect((await auth.authenticate(bearer))?.id).toBe('u1');
    users.findForAuth.mockResolvedValueOnce({ ...user, tokenVersion: 3 });
    expect(await auth.authenticate(bearer)).toBeNull();
    users.findForAuth.mockResolvedValueOnce({ ...user, isActive: false });
    expect(await auth.authenticate(bearer)).toBeNull();
    users.findForAuth.mockResolvedValueOnce({ ...user, roles: ['reviewer'] });
    expect((await auth.authenticate(bearer))?.roles).toEqual(['reviewer']);
  });

  it('answers synchronously for a known JWT of a cached user, and for a header it cannot use', () => {
    const bearer = `Bearer ${jwt.sign({ sub: 'u1', ver: 2 })}`;
    users.findForAuth.mockReturnValue(user);
    expect(auth.authenticate(bearer)).toMatchObject({ id: 'u1', method: 'jwt' });
    users.findForAuth.mockReturnValue({ ...user, tokenVersion: 3 });
    expect(auth.authenticate(bearer)).toBeNull();
    expect(auth.authenticate('Bearer not-a-jwt')).toBeNull();
    expect(auth.authenticate(undefined)).toBeNull();
  });

  it('refuses a known JWT from the second its exp is reached', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
    const bearer = `Bearer ${jwt.sign({ sub: 'u1', ver: 2 })}`;
    expect((await auth.authenticate(bearer))?.id).toBe('u1');
    vi.setSystemTime(1_700_000_059_000);
    expect((await auth.authenticate(bearer))?.id).toBe('u1');
    vi.setSystemTime(1_700_000_060_000);
    expect(await auth.authenticate(bearer)).toBeNull();
  });

  it('refuses, and never keeps, a JWT of another key, of another algorithm, or a malformed one', async () => {
    const otherKey = new JwtService({ secret: 'y'.repeat(32) }).sign({ sub: 'u1', ver: 2 });
    const hs512 = jwt.sign({ sub: 'u1', ver: 2 }, { algorithm: 'HS512' });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"u1","ver":2}').toString('base64url')}.`;
    const verify = vi.spyOn(jwt, 'verify');
    for (const bad of [otherKey, hs512, unsigned, 'not-a-jwt']) {
      expect(await auth.authenticate(`Bearer ${bad}`)).toBeNull();
      expect(await auth.authenticate(`Bearer ${bad}`)).toBeNull();
    }
    expect(verify).toHaveBeenCalledTimes(8);
    expect(users.findForAuth).not.toHaveBeenCalled();
  });

  it('takes `Token <key>` as an API key and nothing from other schemes or no header', async () => {
    tokens.findByHash.mockResolvedValue(token());
    expect((await auth.authenticate(`Token ${KEY}`))?.method).toBe('token');
    expect(await auth.authenticate(`Basic ${Buffer.from('u1@x.test:pw').toString('base64')}`)).toBeNull();
    expect(await auth.authenticate(undefined)).toBeNull();
  });
});

describe('me', () => {
  it('answers the user as the auth cache gives it now: a changed user with its new fields, a gone one refused', async () => {
    const caller = { id: 'u1' } as AuthUser;
    expect(await auth.me(caller)).toMatchObject({ id: 'u1', name: 'U', roles: ['user'], is_active: true });
    expect(await auth.me(caller)).toEqual(await auth.me(caller));
    users.findForAuth.mockResolvedValue({ ...user, name: 'Renamed', roles: ['user', 'admin'] });
    expect(await auth.me(caller)).toMatchObject({ id: 'u1', name: 'Renamed', roles: ['user', 'admin'] });
    users.findForAuth.mockResolvedValue(null);
    await expect(auth.me(caller)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});

describe('login throttling', () => {
  const window = (count: number) => ({ count, resetAt: new Date(clock.nowMs() + 30_500) });

  it('answers 429 with the seconds left, before checking the password, once the account used its failures', async () => {
    failures.live.mockImplementation((ids) => Promise.resolve(new Map([[ids[0], window(2)]])));
    await expect(auth.login('u1@x.test', 'right', '10.0.0.1')).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { reason: 'too_many_failed_logins', retry_after: 31 },
    });
  });

  it('blocks a client address that used its failures, whatever the account', async () => {
    failures.live.mockImplementation((ids) => Promise.resolve(new Map([[ids[1], window(3)]])));
    await expect(auth.login('other@x.test', 'right', '10.0.0.1')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('counts a failure under the account and the address', async () => {
    failures.live.mockResolvedValue(new Map());
    users.checkCredentials.mockResolvedValue(null);
    failures.increment.mockResolvedValue(undefined);
    await expect(auth.login('U1@x.test', 'wrong', '10.0.0.1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(failures.increment).toHaveBeenCalledTimes(2);
  });

  it('does not count a success, and clears the account’s failures', async () => {
    failures.live.mockResolvedValue(new Map([['x', window(1)]]));
    users.checkCredentials.mockResolvedValue(user);
    users.recordLogin.mockResolvedValue(undefined);
    failures.clear.mockResolvedValue(undefined);
    await auth.login('u1@x.test', 'right', '10.0.0.1');
    expect([failures.increment.mock.calls.length, failures.clear.mock.calls.length]).toEqual([0, 1]);
  });
});
