import { describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';
import { rawDocuments } from './support/raw-db.js';

// Tight limits, so a handful of wrong passwords reaches them; the window is moved on with the app's clock.
const t = useTestApp({
  env: {
    PLUGHUB_LOGIN_MAX_FAILURES: '3',
    PLUGHUB_LOGIN_MAX_FAILURES_PER_ADDRESS: '8',
    PLUGHUB_LOGIN_FAILURE_WINDOW: '600',
  },
});

const WINDOW_MS = 600_000;
const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  t.client({ headers }).POST('/api/auth/token/', { body: { email, password } });

describe('login throttling', () => {
  it('answers 429 RATE_LIMITED with Retry-After once an account used its failed attempts, even to the right password', async () => {
    await t.createUser({ email: 'guessed@plughub.test' });
    for (let i = 0; i < 3; i++) await login('guessed@plughub.test', 'wrong-password');
    const blocked = await login('guessed@plughub.test', 'user-password-1');
    const retryAfter = Number(blocked.response.headers.get('retry-after'));
    expect([blocked.response.status, blocked.error?.code, blocked.error?.details?.reason]).toEqual([
      429,
      'RATE_LIMITED',
      'too_many_failed_logins',
    ]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
  });

  it('lets the account in again once the window is over', async () => {
    t.clock.advance(WINDOW_MS + 1_000);
    expect((await login('guessed@plughub.test', 'user-password-1')).response.status).toBe(200);
  });

  it('does not count successful logins, and a success forgets the account’s failures', async () => {
    await t.createUser({ email: 'regular@plughub.test' });
    for (let i = 0; i < 20; i++)
      expect((await login('regular@plughub.test', 'user-password-1')).response.status).toBe(200);
    await login('regular@plughub.test', 'wrong-password');
    await login('regular@plughub.test', 'wrong-password');
    await login('regular@plughub.test', 'user-password-1');
    await login('regular@plughub.test', 'wrong-password');
    await login('regular@plughub.test', 'wrong-password');
    expect((await login('regular@plughub.test', 'user-password-1')).response.status).toBe(200);
  });

  it('counts unknown emails like known ones, answering alike', async () => {
    t.clock.advance(WINDOW_MS + 1_000);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await login('nobody@plughub.test', 'wrong-password')).error?.code);
    expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED']);
  });

  it('throttles a client address across accounts, and X-Forwarded-For from an untrusted client changes nothing', async () => {
    t.clock.advance(WINDOW_MS + 1_000);
    for (let i = 0; i < 8; i++) {
      await login(`spray-${i}@plughub.test`, 'wrong-password', { 'X-Forwarded-For': `203.0.113.${i}` });
    }
    const blocked = await login(ADMIN.email, ADMIN.password, { 'X-Forwarded-For': '198.51.100.7' });
    expect([blocked.response.status, blocked.error?.code]).toEqual([429, 'RATE_LIMITED']);
    t.clock.advance(WINDOW_MS + 1_000);
    expect((await login(ADMIN.email, ADMIN.password)).response.status).toBe(200);
  });

  it('keeps neither typed emails nor addresses in clear', async () => {
    const stored = JSON.stringify(await rawDocuments(t.app, 'login_failures'));
    expect([stored.includes('nobody@plughub.test'), stored.includes('127.0.0.1')]).toEqual([false, false]);
  });
});

describe('changing your own password', () => {
  it('needs the current password', async () => {
    const user = await t.createUser({ email: 'changer@plughub.test' });
    const res = await user.client.PATCH('/api/users/{id}/', {
      params: { path: { id: user.id } },
      body: { password: 'new-password-22' },
    });
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([
      400,
      'VALIDATION_ERROR',
      'current_password_required',
    ]);
  });

  it('refuses a wrong current password', async () => {
    const user = await t.createUser({ email: 'changer2@plughub.test' });
    const res = await user.client.PATCH('/api/users/{id}/', {
      params: { path: { id: user.id } },
      body: { password: 'new-password-22', current_password: 'not-my-password' },
    });
    expect([res.response.status, res.error?.code, res.error?.details?.reason]).toEqual([
      403,
      'FORBIDDEN',
      'wrong_current_password',
    ]);
  });

  it('with the current one, works and ends the JWTs issued before', async () => {
    const user = await t.createUser({ email: 'changer3@plughub.test' });
    const res = await user.client.PATCH('/api/users/{id}/', {
      params: { path: { id: user.id } },
      body: { password: 'new-password-22', current_password: 'user-password-1' },
    });
    expect(res.response.status).toBe(200);
    const old = await user.client.GET('/api/auth/me/');
    const fresh = await login('changer3@plughub.test', 'new-password-22');
    const me = await t.client({ accessToken: fresh.data!.access_token }).GET('/api/auth/me/');
    expect([old.error?.code, me.data?.email]).toEqual(['UNAUTHENTICATED', 'changer3@plughub.test']);
  });
});

describe('API token scopes decide the roles a caller acts with', () => {
  it('an admin’s `read, write` token cannot promote a user', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const target = await t.createUser({ email: 'promote-me@plughub.test' });
    const created = await admin.POST('/api/auth/api-tokens/', { body: { name: 'rw', scopes: ['read', 'write'] } });
    const rw = t.client({ apiToken: created.data!.key });
    const res = await rw.PATCH('/api/users/{id}/', { params: { path: { id: target.id } }, body: { roles: ['admin'] } });
    const me = await target.client.GET('/api/auth/me/');
    expect([res.response.status, res.error?.code, me.data?.roles]).toEqual([404, 'NOT_FOUND', ['user']]);
  });

  it('an admin’s `read` token reads neither the user list nor another user’s account', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const other = await t.createUser({ email: 'private-reader@plughub.test' });
    const created = await admin.POST('/api/auth/api-tokens/', { body: { name: 'ro', scopes: ['read'] } });
    const ro = t.client({ apiToken: created.data!.key });
    const [list, one, me] = await Promise.all([
      ro.GET('/api/users/'),
      ro.GET('/api/users/{id}/', { params: { path: { id: other.id } } }),
      ro.GET('/api/auth/me/'),
    ]);
    expect([list.response.status, list.error?.details?.reason, one.response.status, me.data?.email]).toEqual([
      403,
      'token_not_admin',
      404,
      ADMIN.email,
    ]);
  });

  it('an admin token with the `admin` scope still acts as admin', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const created = await admin.POST('/api/auth/api-tokens/', { body: { name: 'full', scopes: ['read', 'admin'] } });
    const list = await t.client({ apiToken: created.data!.key }).GET('/api/users/');
    expect(list.response.status).toBe(200);
  });
});

describe('what anonymous callers learn', () => {
  it('GET /api/version/ does not reveal the Node version', async () => {
    const res = await t.client().GET('/api/version/');
    expect([res.response.status, JSON.stringify(res.data).includes(process.version)]).toEqual([200, false]);
    expect(res.data).not.toHaveProperty('node');
  });
});

describe('forwarded headers', () => {
  it('from a client that is not a configured proxy do not shape pagination links', async () => {
    const admin = t.client({
      accessToken: await t.login(ADMIN.email, ADMIN.password),
      headers: { 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'javascript' },
    });
    const page = await admin.GET('/api/users/', { params: { query: { limit: 1 } } });
    expect(page.data!.next).toBe(`${t.baseUrl}/api/users/?limit=1&offset=1`);
  });
});

describe('behind a configured proxy', () => {
  const p = useTestApp({ env: { PLUGHUB_TRUSTED_PROXIES: 'loopback' } });

  it('X-Forwarded-Host and -Proto shape the links', async () => {
    const admin = p.client({
      accessToken: await p.login(ADMIN.email, ADMIN.password),
      headers: { 'X-Forwarded-Host': 'plugins.example.test', 'X-Forwarded-Proto': 'https' },
    });
    await p.createUser({ email: 'second@plughub.test' });
    const page = await admin.GET('/api/users/', { params: { query: { limit: 1 } } });
    expect(page.data!.next).toBe('https://plugins.example.test/api/users/?limit=1&offset=1');
  });
});
