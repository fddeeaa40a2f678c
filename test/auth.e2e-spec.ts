import { executionAsyncId } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';
import { rawDocuments } from './support/raw-db.js';
import { operations } from './support/spec.js';

const t = useTestApp();

/** The async id a promise continuation runs under: 0 while Node's promise hooks are off in this process. */
async function promiseAsyncId(): Promise<number> {
  await Promise.resolve();
  return executionAsyncId();
}

describe('logging in', () => {
  it('issues a JWT for a JSON email + password, usable on /api/auth/me/', async () => {
    const { data, response } = await t.client().POST('/api/auth/token/', { body: ADMIN });
    expect(response.status).toBe(200);
    expect(data!.token_type).toBe('Bearer');
    expect(data!.expires_in).toBe(3600);
    const me = await t.client({ accessToken: data!.access_token }).GET('/api/auth/me/');
    expect(me.data!.email).toBe(ADMIN.email);
    expect(me.data!.roles).toEqual(['admin']);
    expect(me.data).not.toHaveProperty('password_hash');
  });

  it('issues a JWT for HTTP Basic credentials', async () => {
    const basic = Buffer.from(`${ADMIN.email}:${ADMIN.password}`).toString('base64');
    const { data, response } = await t
      .client({ headers: { Authorization: `Basic ${basic}` } })
      .POST('/api/auth/token/');
    expect(response.status).toBe(200);
    const me = await t.client({ accessToken: data!.access_token }).GET('/api/auth/me/');
    expect(me.data!.email).toBe(ADMIN.email);
  });

  it('refuses a wrong password, an unknown user and a tampered JWT with 401 UNAUTHENTICATED', async () => {
    const wrong = await t.client().POST('/api/auth/token/', { body: { email: ADMIN.email, password: 'nope-nope' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error!.code).toBe('UNAUTHENTICATED');
    const unknown = await t.client().POST('/api/auth/token/', { body: { email: 'ghost@x.io', password: 'whatever1' } });
    expect(unknown.error!.code).toBe('UNAUTHENTICATED');
    const jwt = await t.login(ADMIN.email, ADMIN.password);
    const tampered = jwt.slice(0, -3) + (jwt.endsWith('AAA') ? 'BBB' : 'AAA');
    const me = await t.client({ accessToken: tampered }).GET('/api/auth/me/');
    expect(me.response.status).toBe(401);
    expect(me.error!.code).toBe('UNAUTHENTICATED');
  });

  it('a deactivated user can neither log in nor keep using a JWT', async () => {
    const user = await t.createUser({ email: 'leaver@plughub.test' });
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    await admin.PATCH('/api/users/{id}/', { params: { path: { id: user.id } }, body: { is_active: false } });
    expect((await user.client.GET('/api/auth/me/')).response.status).toBe(401);
    const again = await t
      .client()
      .POST('/api/auth/token/', { body: { email: 'leaver@plughub.test', password: 'user-password-1' } });
    expect(again.response.status).toBe(401);
  });
});

// The guard keeps verified JWTs and the users they name (a write on this node invalidates the user at once):
// each change below is used right after a request that put the token and its user in those caches.
describe('the request stores of a write', () => {
  it('end with its response: a read after it runs with Node’s promise hooks off (the app is in this process)', async () => {
    // A write opens the audit note and the request context (AsyncLocalStorages, promise hooks on while open).
    const token = await t.login(ADMIN.email, ADMIN.password);
    // Its response closes on the server a turn or so after the client has the answer.
    for (let turn = 0; turn < 1000 && (await promiseAsyncId()) !== 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await promiseAsyncId()).toBe(0);
    const me = await t.client({ accessToken: token }).GET('/api/auth/me/');
    expect(me.response.status).toBe(200);
    expect(await promiseAsyncId()).toBe(0);
  });
});

describe('a JWT used before, right after its user changed', () => {
  const admin = () => t.login(ADMIN.email, ADMIN.password).then((accessToken) => t.client({ accessToken }));

  it('stops working on the next request once its user changed their password', async () => {
    const user = await t.createUser({ email: 'cached-password@plughub.test' });
    for (let i = 0; i < 2; i++) expect((await user.client.GET('/api/auth/me/')).response.status).toBe(200);
    const changed = await user.client.PATCH('/api/users/{id}/', {
      params: { path: { id: user.id } },
      body: { password: 'user-password-2', current_password: 'user-password-1' },
    });
    expect(changed.response.status).toBe(200);
    const after = await user.client.GET('/api/auth/me/');
    expect([after.response.status, after.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const fresh = t.client({ accessToken: await t.login('cached-password@plughub.test', 'user-password-2') });
    expect((await fresh.GET('/api/auth/me/')).response.status).toBe(200);
  });

  it('stops working on the next request once its user was deactivated', async () => {
    const user = await t.createUser({ email: 'cached-leaver@plughub.test' });
    for (let i = 0; i < 2; i++) expect((await user.client.GET('/api/auth/me/')).response.status).toBe(200);
    await (await admin()).PATCH('/api/users/{id}/', { params: { path: { id: user.id } }, body: { is_active: false } });
    const after = await user.client.GET('/api/auth/me/');
    expect([after.response.status, after.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('acts with the new roles on the next request after a role change, both ways', async () => {
    const user = await t.createUser({ email: 'cached-roles@plughub.test' });
    const a = await admin();
    const users = () => user.client.GET('/api/users/');
    expect((await users()).error?.code).toBe('FORBIDDEN');
    await a.PATCH('/api/users/{id}/', { params: { path: { id: user.id } }, body: { roles: ['admin'] } });
    expect((await users()).response.status).toBe(200);
    expect((await user.client.GET('/api/auth/me/')).data?.roles).toEqual(['admin']);
    await a.PATCH('/api/users/{id}/', { params: { path: { id: user.id } }, body: { roles: ['user'] } });
    expect((await users()).error?.code).toBe('FORBIDDEN');
  });

  it('a revoked API token stops working on the next request, even one used just before', async () => {
    const user = await t.createUser({ email: 'cached-token@plughub.test' });
    const created = await user.client.POST('/api/auth/api-tokens/', { body: { name: 'hot' } });
    const viaToken = t.client({ apiToken: created.data!.key });
    for (let i = 0; i < 2; i++) expect((await viaToken.GET('/api/auth/me/')).response.status).toBe(200);
    await user.client.DELETE('/api/auth/api-tokens/{id}/', { params: { path: { id: created.data!.id } } });
    const after = await viaToken.GET('/api/auth/me/');
    expect([after.response.status, after.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});

describe('API tokens', () => {
  it('are created once-shown, used with `Token <key>`, listed without the key, and dead once revoked', async () => {
    const user = await t.createUser({ email: 'tokens@plughub.test' });
    const created = await user.client.POST('/api/auth/api-tokens/', { body: { name: 'ci' } });
    expect(created.response.status).toBe(201);
    const key = created.data!.key;
    expect(key).toMatch(/^phk_[A-Za-z0-9_-]{43}$/);

    const viaToken = t.client({ apiToken: key });
    const me = await viaToken.GET('/api/auth/me/');
    expect(me.data!.email).toBe('tokens@plughub.test');

    const list = await user.client.GET('/api/auth/api-tokens/');
    expect(list.data!.count).toBe(1);
    expect(list.data!.results[0].id).toBe(created.data!.id);
    expect(JSON.stringify(list.data)).not.toContain(key);
    expect(list.data!.results[0].key_prefix).toBe(key.slice(0, 10));

    const revoked = await user.client.DELETE('/api/auth/api-tokens/{id}/', {
      params: { path: { id: created.data!.id } },
    });
    expect(revoked.response.status).toBe(204);
    const after = await viaToken.GET('/api/auth/me/');
    expect(after.response.status).toBe(401);
    expect(after.error!.code).toBe('UNAUTHENTICATED');
    expect((await user.client.GET('/api/auth/api-tokens/')).data!.count).toBe(0);

    // Revoking twice, or someone else's token, is 404.
    const twice = await user.client.DELETE('/api/auth/api-tokens/{id}/', {
      params: { path: { id: created.data!.id } },
    });
    expect(twice.error!.code).toBe('NOT_FOUND');
  });

  it('are stored as the hash of their key, never the key', async () => {
    const user = await t.createUser({ email: 'stored@plughub.test' });
    const { data } = await user.client.POST('/api/auth/api-tokens/', { body: { name: 'stored' } });
    const stored = await rawDocuments(t.app, 'api_tokens', { name: 'stored' });
    expect(stored.map((d) => d.key_hash)).toEqual([createHash('sha256').update(data!.key).digest('hex')]);
    expect(JSON.stringify(stored)).not.toContain(data!.key);
  });

  it('honour expiry and read-only scope', async () => {
    const user = await t.createUser({ email: 'scoped@plughub.test' });
    const past = await user.client.POST('/api/auth/api-tokens/', {
      body: { name: 'old', expires_at: new Date(Date.now() - 1000).toISOString() },
    });
    expect(past.error!.code).toBe('VALIDATION_ERROR');
    expect(past.error!.errors.map((e) => e.field)).toEqual(['expires_at']);

    const soon = await user.client.POST('/api/auth/api-tokens/', {
      // Ten minutes, moved on with the app's clock: a loaded machine may take seconds between two requests.
      body: { name: 'soon', expires_at: new Date(Date.now() + 600_000).toISOString() },
    });
    const readOnly = await user.client.POST('/api/auth/api-tokens/', { body: { name: 'ro', scopes: ['read'] } });
    const ro = t.client({ apiToken: readOnly.data!.key });
    expect((await ro.GET('/api/auth/me/')).response.status).toBe(200);
    const write = await ro.POST('/api/orgs/', { body: { slug: 'ro-org', name: 'RO' } });
    expect(write.response.status).toBe(403);
    expect(write.error!.code).toBe('FORBIDDEN');

    const expiring = t.client({ apiToken: soon.data!.key });
    expect((await expiring.GET('/api/auth/me/')).response.status).toBe(200);
    t.clock.advance(601_000);
    expect((await expiring.GET('/api/auth/me/')).response.status).toBe(401);
  });
});

describe('access control', () => {
  it('every non-public operation in openapi.json answers 401 UNAUTHENTICATED without credentials', async () => {
    // An empty requirement ({}) lets anonymous callers in (a plugin's endpoints check credentials only when sent).
    const guarded = operations().filter(
      (o) => o.security.length > 0 && !o.security.some((r) => Object.keys(r).length === 0),
    );
    expect(guarded.length).toBeGreaterThan(8);
    for (const { method, path } of guarded) {
      const url = t.baseUrl + path.replace(/\{[^}]+\}/g, 'x');
      const res = await fetch(url, {
        method: method.toUpperCase(),
        headers: method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' },
        body: method === 'get' || method === 'delete' ? undefined : '{}',
      });
      const body = (await res.json()) as { code: string; request_id: string };
      expect({ op: `${method} ${path}`, status: res.status, code: body.code }).toEqual({
        op: `${method} ${path}`,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      expect(body.request_id).toBe(res.headers.get('x-request-id'));
    }
  });

  it('public operations answer without credentials', async () => {
    for (const path of ['/api/health/', '/api/health/ready/', '/api/version/', '/api/version-text/', '/api/schema/']) {
      expect((await fetch(t.baseUrl + path)).status, path).toBe(200);
    }
  });

  it('answers 403 FORBIDDEN to a user lacking the role', async () => {
    const user = await t.createUser({ email: 'plain@plughub.test' });
    const { response, error } = await user.client.GET('/api/users/');
    expect(response.status).toBe(403);
    expect(error!.code).toBe('FORBIDDEN');
    const create = await user.client.POST('/api/users/', {
      body: { email: 'x@y.io', password: 'password1', name: 'x' },
    });
    expect(create.error!.code).toBe('FORBIDDEN');
    // A user may read themselves, but another user is invisible (404, not 403).
    expect((await user.client.GET('/api/users/{id}/', { params: { path: { id: user.id } } })).response.status).toBe(
      200,
    );
    const admin = await t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) }).GET('/api/auth/me/');
    const other = await user.client.GET('/api/users/{id}/', { params: { path: { id: admin.data!.id } } });
    expect(other.error!.code).toBe('NOT_FOUND');
    // Nor can users grant themselves roles.
    const escalate = await user.client.PATCH('/api/users/{id}/', {
      params: { path: { id: user.id } },
      body: { roles: ['admin'] },
    });
    expect(escalate.error!.code).toBe('FORBIDDEN');
  });

  it('self sign-up is off by default', async () => {
    const { response, error } = await t.client().POST('/api/auth/register/', {
      body: { email: 'self@plughub.test', password: 'password12', name: 'Self' },
    });
    expect(response.status).toBe(403);
    expect(error!.code).toBe('FORBIDDEN');
  });
});

describe('errors and validation', () => {
  it('lists every bad field with VALIDATION_ERROR', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const { response, error } = await admin.POST('/api/users/', {
      body: { email: 'not-an-email', password: 'short', name: '', roles: ['emperor'] } as never,
    });
    expect(response.status).toBe(400);
    expect(error!.code).toBe('VALIDATION_ERROR');
    expect(error!.status).toBe(400);
    expect(error!.errors.map((e) => e.field).sort()).toEqual(['email', 'name', 'password', 'roles']);
    for (const e of error!.errors) expect(e.message.length).toBeGreaterThan(3);
  });

  it('reports unknown body fields and bad query parameters', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const extra = await admin.POST('/api/orgs/', { body: { slug: 'ok-slug', name: 'Ok', owner: 'me' } as never });
    expect(extra.error!.errors.map((e) => e.field)).toEqual(['owner']);
    const query = await admin.GET('/api/users/', {
      params: { query: { limit: 0, offset: -1, ordering: 'password' as never } },
    });
    expect(query.error!.errors.map((e) => e.field).sort()).toEqual(['limit', 'offset', 'ordering']);
  });

  it('rejects malformed JSON with the same envelope', async () => {
    const jwt = await t.login(ADMIN.email, ADMIN.password);
    const res = await fetch(`${t.baseUrl}/api/orgs/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: '{"slug": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('answers unknown routes with the 404 envelope, and keeps an incoming X-Request-Id', async () => {
    const res = await fetch(`${t.baseUrl}/api/no-such-thing/`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    const { message, ...body } = (await res.json()) as Record<string, unknown>;
    expect(typeof message).toBe('string');
    expect(body).toEqual({
      code: 'NOT_FOUND',
      status: 404,
      errors: [],
      details: {},
      request_id: 'trace-abc-123',
    });
    // The access log: one line for the request, with the id it answered with.
    const access = t.logs.filter(
      (l) => l.context === 'Http' && l.msg === 'request' && l.request_id === 'trace-abc-123',
    );
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'GET', url: '/api/no-such-thing/', status: 404 });
    expect(typeof access[0].duration_ms).toBe('number');
    const generated = await fetch(`${t.baseUrl}/nowhere`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('routes paths with and without the trailing slash', async () => {
    expect((await fetch(`${t.baseUrl}/api/health`)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/api/health/`)).status).toBe(200);
  });
});

describe('pagination', () => {
  it('gets next/previous right at the edges', async () => {
    const user = await t.createUser({ email: 'pager@plughub.test' });
    for (let i = 0; i < 5; i++) await user.client.POST('/api/auth/api-tokens/', { body: { name: `t${i}` } });

    const first = await user.client.GET('/api/auth/api-tokens/', { params: { query: { limit: 2 } } });
    expect(first.data!.count).toBe(5);
    expect(first.data!.results).toHaveLength(2);
    expect(first.data!.previous).toBeNull();
    expect(first.data!.next).toBe(`${t.baseUrl}/api/auth/api-tokens/?limit=2&offset=2`);

    const middle = await user.client.GET('/api/auth/api-tokens/', { params: { query: { limit: 2, offset: 2 } } });
    expect(middle.data!.previous).toBe(`${t.baseUrl}/api/auth/api-tokens/?limit=2`);
    expect(middle.data!.next).toBe(`${t.baseUrl}/api/auth/api-tokens/?limit=2&offset=4`);

    const last = await user.client.GET('/api/auth/api-tokens/', { params: { query: { limit: 2, offset: 4 } } });
    expect(last.data!.results).toHaveLength(1);
    expect(last.data!.next).toBeNull();
    expect(last.data!.previous).toBe(`${t.baseUrl}/api/auth/api-tokens/?limit=2&offset=2`);

    const exact = await user.client.GET('/api/auth/api-tokens/', { params: { query: { limit: 5 } } });
    expect(exact.data!.next).toBeNull();

    const beyond = await user.client.GET('/api/auth/api-tokens/', { params: { query: { limit: 2, offset: 10 } } });
    expect(beyond.data!.results).toEqual([]);
    expect(beyond.data!.next).toBeNull();
    // The last page on the client’s grid of offsets (10, 8, 6, 4): it holds the fifth item.
    expect(beyond.data!.previous).toBe(`${t.baseUrl}/api/auth/api-tokens/?limit=2&offset=4`);

    // Pages never overlap and together hold every item once.
    const ids = [...first.data!.results, ...middle.data!.results, ...last.data!.results].map((r) => r.id);
    expect(new Set(ids).size).toBe(5);
  });

  it('applies the default and clamps to the maximum limit', async () => {
    const admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
    const big = await admin.GET('/api/users/', { params: { query: { limit: 100000 } } });
    expect(big.response.status).toBe(200);
    expect(big.data!.results.length).toBeLessThanOrEqual(100);
  });
});
