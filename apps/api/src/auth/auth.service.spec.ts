import { JwtService } from '@nestjs/jwt';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { hashApiKey } from './api-key.js';
import type { ApiToken } from './auth.entity.js';
import { AuthService } from './auth.service.js';
import { ApiTokenRepository } from './persistence/api-token.repository.js';

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
const user = { id: 'u1', email: 'u1@x.test', name: 'U', roles: ['user'], isActive: true } as User;

let tokens: ReturnType<typeof strictMock<ApiTokenRepository>>;
let users: ReturnType<typeof strictMock<UsersService>>;
let clock: TestClock;
let auth: AuthService;

beforeEach(() => {
  tokens = strictMock(ApiTokenRepository);
  users = strictMock(UsersService);
  clock = new TestClock();
  const config = {
    jwt: { secret: 'x'.repeat(32), ttlSeconds: 60 },
    admin: { email: 'a@b.c', password: null },
    openSignup: false,
    secretDir: null,
  };
  auth = new AuthService(users, tokens, new JwtService({ secret: 'x'.repeat(32) }), config, clock);
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
