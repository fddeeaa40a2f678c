import { readFileSync } from 'node:fs';
import { EventBus } from '@app/common';
import { type HookCallEvent, PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageStatsRecorder } from '../apps/api/src/metrics/usage-stats.recorder.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;

/** Plugins serving HTTP endpoints and Execute (issue 17), through the API and libs/client only. */

const t = useTestApp();

const ECHO = `
module.exports = {
  onRequest(req) {
    if (req.path === 'big') return { body: 'x'.repeat(1100 * 1024) };
    if (req.path === 'cookie' && req.query.html)
      return { headers: { 'content-type': 'text/html' }, body: '<script>1</script>' };
    if (req.path === 'cookie' && req.query.status) return { status: Number(req.query.status), body: { s: 1 } };
    if (req.path === 'cookie') return { headers: { 'set-cookie': 'a=b' }, body: {} };
    if (req.method === 'POST') {
      const got = { got: req.body, params: req.params, query: req.query, user: req.user };
      return { status: 201, headers: { 'x-echo': 'yes' }, body: got };
    }
    return {
      body: {
        method: req.method,
        path: req.path,
        params: req.params,
        query: req.query,
        user: req.user,
        saw_authorization: 'authorization' in req.headers,
      },
    };
  },
};
`;

const ECHO_MANIFEST = {
  key: 'ada-lovelace.echo',
  name: 'Echo',
  version: '1.0.0',
  description: 'answers what it is asked',
  author: 'Acme Labs',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  permissions: ['endpoints:serve'],
  endpoints: [
    { path: 'items', methods: ['POST'], description: 'Create an item' },
    { path: 'items/:id', methods: ['GET', 'PUT'], description: 'An item' },
    { path: 'items/:id/notes', methods: ['POST'], description: 'Add a note to an item' },
    { path: 'big', methods: ['GET'], description: 'Too large an answer' },
    { path: 'cookie', methods: ['GET'], description: 'Tries to set a cookie' },
    { path: 'hello', methods: ['GET'], description: 'Anyone may ask', public: true },
  ],
};

const SLOW_MANIFEST = {
  key: 'ada-lovelace.slow',
  name: 'Slow',
  version: '1.0.0',
  description: 'never answers',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  permissions: ['endpoints:serve', 'process:data'],
  limits: { timeout_ms: 300 },
  endpoints: [{ path: 'wait', methods: ['GET'], description: 'Loops' }],
};
const SLOW = `module.exports = { onRequest() { for (;;) {} }, onProcess() { for (;;) {} } };`;

const seed002 = (name: string) =>
  readFileSync(new URL(`../libs/plugin-sdk/src/fixtures/seed-002/${name}`, import.meta.url), 'utf8');

const plugin = (key: string) => ({ params: { path: { plugin: key } } });
const at = (key: string, path: string, query?: Json) => ({
  params: { path: { plugin: key, path }, ...(query ? { query } : {}) } as never,
});

let admin: Client;
let ada: Awaited<ReturnType<typeof t.createUser>>;
let bob: Awaited<ReturnType<typeof t.createUser>>;

async function publish(client: Client, manifest: Json, runner: string): Promise<void> {
  const res = await client.POST('/api/plugins/', { body: { manifest, files: { runner } } as never });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
}

async function install(client: Client, key: string, query: Json = {}): Promise<string> {
  const res = await client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: key }, query },
    body: {} as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  expect(res.data!.installation!.status).toBe('active');
  return res.data!.installation!.id;
}

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  ada = await t.createUser({
    email: 'ada@example.test',
    name: 'Ada Lovelace',
    roles: ['publisher'],
    handle: 'ada-lovelace',
  });
  bob = await t.createUser({ email: 'bob@example.test', name: 'Bob' });
  await publish(ada.client, ECHO_MANIFEST, ECHO);
  await publish(ada.client, SLOW_MANIFEST, SLOW);
  await install(ada.client, 'ada-lovelace.echo');
});

describe('a plugin serving endpoints', () => {
  it('answers a GET route with its params and query, the caller known and their credentials withheld', async () => {
    const res = await ada.client.GET(
      '/api/plugins/{plugin}/endpoints/{path}/',
      at('ada-lovelace.echo', 'items/42', { q: 'x' }),
    );
    expect(res.response.status).toBe(200);
    expect(res.data).toEqual({
      method: 'GET',
      path: 'items/42',
      params: { id: '42' },
      query: { q: 'x' },
      user: { id: ada.id, name: 'Ada Lovelace', roles: ['publisher'] },
      saw_authorization: false,
    });
  });

  it('answers a POST route with the JSON body, its status and allowed headers passed through', async () => {
    const res = await ada.client.POST('/api/plugins/{plugin}/endpoints/{path}/', {
      ...at('ada-lovelace.echo', 'items'),
      body: { name: 'lamp', tags: ['a', 'b'] } as never,
    });
    expect(res.response.status).toBe(201);
    expect(res.response.headers.get('x-echo')).toBe('yes');
    expect(res.data).toMatchObject({ got: { name: 'lamp', tags: ['a', 'b'] }, user: { id: ada.id } });
  });

  it('answers a POST route with its params, query and JSON body together', async () => {
    const res = await ada.client.POST('/api/plugins/{plugin}/endpoints/{path}/', {
      ...at('ada-lovelace.echo', 'items/42/notes', { lang: 'en', tag: ['a', 'b'] }),
      body: { text: 'fragile', pages: [1, 2], meta: { draft: false } } as never,
    });
    expect(res.response.status).toBe(201);
    expect(res.data).toEqual({
      got: { text: 'fragile', pages: [1, 2], meta: { draft: false } },
      params: { id: '42' },
      query: { lang: 'en', tag: ['a', 'b'] },
      user: { id: ada.id, name: 'Ada Lovelace', roles: ['publisher'] },
    });
  });

  it('answers 404 for an undeclared route and 405 with Allow for an undeclared method', async () => {
    const none = await ada.client.GET(
      '/api/plugins/{plugin}/endpoints/{path}/',
      at('ada-lovelace.echo', 'nothing/here'),
    );
    expect(none.response.status).toBe(404);
    expect(none.error).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'endpoint_not_found' } });
    const wrong = await ada.client.DELETE(
      '/api/plugins/{plugin}/endpoints/{path}/',
      at('ada-lovelace.echo', 'items/42'),
    );
    expect(wrong.response.status).toBe(405);
    expect(wrong.error).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      details: { reason: 'method_not_allowed', allow: ['GET', 'PUT'] },
    });
    expect(wrong.response.headers.get('allow')).toBe('GET, PUT');
  });

  it('refuses an answer over the size limit, and a header off the allow-list', async () => {
    // Over the runtime's 1 MiB reply bound, before the answer's own body check sees it.
    const big = await ada.client.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'big'));
    expect(big.response.status).toBe(422);
    expect(big.error).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { reason: 'reply_too_large' } });
    const cookie = await ada.client.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'cookie'));
    expect(cookie.error).toMatchObject({ code: 'INTERNAL', details: { reason: 'header_not_allowed' } });
    expect(cookie.response.headers.get('set-cookie')).toBeNull();
  });

  it('contains every answer: what a plugin serves never runs as a page of the platform’s origin', async () => {
    for (const query of [{ html: '1' }, { status: '201' }]) {
      const res = await ada.client.GET('/api/plugins/{plugin}/endpoints/{path}/', {
        ...(at('ada-lovelace.echo', 'cookie', query) as object),
        parseAs: 'text',
      } as never);
      expect(res.response.status).toBe(query.html ? 200 : 201);
      expect(res.response.headers.get('content-security-policy')).toBe('sandbox');
      expect(res.response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses a 1xx status (no final answer), and sends 204, 205 and 304 without content', async () => {
    const get = (status: string) =>
      ada.client.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'cookie', { status }));
    for (const status of ['100', '101', '103']) {
      const res = await get(status);
      expect(res.response.status).toBe(500);
      expect(res.error).toMatchObject({ code: 'INTERNAL', details: { reason: 'invalid_status' } });
    }
    for (const status of [204, 205, 304]) {
      const res = await get(String(status));
      expect(res.response.status).toBe(status);
      expect(await res.response.clone().text()).toBe('');
    }
  });

  it('answers 404 to a caller who cannot see the plugin', async () => {
    const res = await bob.client.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'items/1'));
    expect(res.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
  });

  it('serves a public endpoint without credentials only once an administrator allowed it', async () => {
    const anonymous = t.client();
    const hello = () => anonymous.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'hello'));
    expect((await hello()).error).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { reason: 'credentials_required' },
    });

    const missing = await admin.PUT('/api/plugins/{plugin}/public-endpoints/', {
      ...plugin('ada-lovelace.echo'),
      body: { allowed: true },
    });
    expect(missing.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { reason: 'not_installed' } });
    const refused = await ada.client.PUT('/api/plugins/{plugin}/public-endpoints/', {
      ...plugin('ada-lovelace.echo'),
      body: { allowed: true },
    });
    expect(refused.response.status).toBe(403);

    const globalId = await install(admin, 'ada-lovelace.echo', { scope: 'global' });
    expect((await hello()).response.status).toBe(401);
    const allowed = await admin.PUT('/api/plugins/{plugin}/public-endpoints/', {
      ...plugin('ada-lovelace.echo'),
      body: { allowed: true },
    });
    expect(allowed.data).toMatchObject({ plugin: 'ada-lovelace.echo', installation_id: globalId, allowed: true });

    const open = await hello();
    expect(open.response.status).toBe(200);
    expect(open.data).toMatchObject({ path: 'hello', user: null });
    // Only the routes declared public: the others still need credentials.
    const closed = await anonymous.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.echo', 'items/1'));
    expect(closed.error).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'credentials_required' } });

    await admin.PUT('/api/plugins/{plugin}/public-endpoints/', {
      ...plugin('ada-lovelace.echo'),
      body: { allowed: false },
    });
    expect((await hello()).response.status).toBe(401);
  });

  it('lists the endpoints on the plugin detail', async () => {
    const detail = await ada.client.GET('/api/plugins/{plugin}/', plugin('ada-lovelace.echo'));
    expect(detail.data!.api_endpoints.map((e) => [e.path, e.methods, e.public])).toEqual([
      ['/api/plugins/ada-lovelace.echo/endpoints/items', ['POST'], false],
      ['/api/plugins/ada-lovelace.echo/endpoints/items/:id', ['GET', 'PUT'], false],
      ['/api/plugins/ada-lovelace.echo/endpoints/items/:id/notes', ['POST'], false],
      ['/api/plugins/ada-lovelace.echo/endpoints/big', ['GET'], false],
      ['/api/plugins/ada-lovelace.echo/endpoints/cookie', ['GET'], false],
      ['/api/plugins/ada-lovelace.echo/endpoints/hello', ['GET'], true],
    ]);
  });
});

describe('a slow plugin', () => {
  it('answers 408 when onRequest runs out of time, and the call is counted as a failure', async () => {
    const calls: HookCallEvent[] = [];
    const id = await install(ada.client, 'ada-lovelace.slow');
    t.app.get(EventBus).on('runtime.call', (c) => void (c.installationId === id && calls.push(c)));
    const res = await ada.client.GET('/api/plugins/{plugin}/endpoints/{path}/', at('ada-lovelace.slow', 'wait'));
    expect(res.response.status).toBe(408);
    expect(res.error).toMatchObject({ code: 'PLUGIN_COMMUNICATION_TIMEOUT', details: { reason: 'timeout' } });
    expect(calls.filter((c) => c.hook === 'onRequest').map((c) => c.outcome)).toEqual(['timeout']);

    await t.app.get(UsageStatsRecorder).flush();
    const stats = await ada.client.GET('/api/installations/{id}/', { params: { path: { id } } });
    expect(stats.data).toMatchObject({ execution_count: 1, error_count: 1 });
  });

  it('answers 408 when onProcess runs out of time through Execute', async () => {
    const res = await ada.client.POST('/api/plugins/{plugin}/execute/', {
      ...plugin('ada-lovelace.slow'),
      body: { data: [1], timeout_seconds: 1 },
    });
    expect(res.error).toMatchObject({ code: 'PLUGIN_COMMUNICATION_TIMEOUT', details: { reason: 'timeout' } });
  });
});

describe('Execute', () => {
  it('refuses a plugin without the grant (403), an inactive one (409) and bad input (400)', async () => {
    const noGrant = await ada.client.POST('/api/plugins/{plugin}/execute/', {
      ...plugin('ada-lovelace.echo'),
      body: { data: [1] },
    });
    expect(noGrant.error).toMatchObject({ code: 'PLUGIN_PERMISSION_DENIED', details: { reason: 'not_granted' } });

    const bad = await ada.client.POST('/api/plugins/{plugin}/execute/', {
      ...plugin('ada-lovelace.echo'),
      body: { data: [1], timeout_seconds: 0, extra: true } as never,
    });
    expect(bad.error).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(bad.error!.errors.map((e) => e.field).sort()).toEqual(['extra', 'timeout_seconds']);

    const off = await ada.client.POST('/api/plugins/{plugin}/disable/', { ...plugin('ada-lovelace.echo'), body: {} });
    expect(off.data!.status).toBe('disabled');
    const inactive = await ada.client.POST('/api/plugins/{plugin}/execute/', {
      ...plugin('ada-lovelace.echo'),
      body: { data: [1] },
    });
    expect(inactive.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'inactive' } });
    const endpoint = await ada.client.GET(
      '/api/plugins/{plugin}/endpoints/{path}/',
      at('ada-lovelace.echo', 'items/1'),
    );
    expect(endpoint.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'inactive' } });
  });
});

describe("seed 002's example, exactly as the document prints it", () => {
  it('publishes, installs, initialises with {status: "success"}, processes an array and cleans up', async () => {
    const key = 'ada-lovelace.data-processor';
    const calls: HookCallEvent[] = [];
    t.app.get(EventBus).on('runtime.call', (c) => void (c.pluginKey === key && calls.push(c)));

    const manifest = JSON.parse(seed002('manifest.json.txt')) as Json;
    await publish(ada.client, manifest, seed002('index.js.txt'));
    const id = await install(ada.client, key);
    const status = t.app.get(PluginRuntime).status(id)!;
    expect(status.initResult).toEqual({ status: 'success' });
    expect(status.grants).toEqual(expect.arrayContaining(['read:data', 'write:data', 'process:data']));

    const items = [{ id: 1 }, { id: 2, name: 'two' }];
    const res = await ada.client.POST('/api/plugins/{plugin}/execute/', { ...plugin(key), body: { data: items } });
    expect(res.response.status).toBe(200);
    const result = res.data!.result as Array<Json>;
    expect(result.map(({ timestamp, ...rest }) => [rest, typeof timestamp])).toEqual([
      [{ id: 1, processed: true }, 'string'],
      [{ id: 2, name: 'two', processed: true }, 'string'],
    ]);
    expect(res.data!.duration_ms).toBeGreaterThanOrEqual(0);

    const off = await ada.client.POST('/api/plugins/{plugin}/disable/', { ...plugin(key), body: {} });
    expect(off.data!.status).toBe('disabled');
    expect(calls.map((c) => [c.hook, c.outcome])).toEqual([
      ['onInit', 'ok'],
      ['onProcess', 'ok'],
      ['onCleanup', 'ok'],
    ]);
  });
});

describe('the call path, warm, sees every change made on this node at the next call', () => {
  const key = 'ada-lovelace.cached';
  const ping = (client: Client) =>
    client.GET('/api/plugins/{plugin}/endpoints/{path}/', at(key, 'ping')).then((r) => {
      const error = r.error as { code?: string; details?: Json } | undefined;
      return { status: r.response.status, code: error?.code, reason: error?.details?.reason };
    });
  const warm = async (client: Client) => {
    for (let i = 0; i < 3; i++) expect(await ping(client)).toMatchObject({ status: 200 });
  };
  const ok = { status: 200 };

  beforeAll(async () => {
    await publish(
      ada.client,
      {
        key,
        name: 'Cached',
        version: '1.0.0',
        description: 'answers pong',
        runtime: { type: 'sandbox', entry: 'runner.js' },
        permissions: ['endpoints:serve'],
        endpoints: [{ path: 'ping', methods: ['GET'], description: 'Pong' }],
      },
      `module.exports = { onRequest: () => ({ body: { pong: true } }) };`,
    );
  });

  it('a grant revoke, a disable, an enable, a kill, a revive and an uninstall', async () => {
    await install(ada.client, key);
    await warm(ada.client);
    const grants = (body: Json) =>
      ada.client.PUT('/api/plugins/{plugin}/permissions/', { ...plugin(key), body: body as never });
    expect((await grants({ revoke: ['endpoints:serve'] })).response.status).toBe(200);
    expect(await ping(ada.client)).toMatchObject({ status: 403, code: 'PLUGIN_PERMISSION_DENIED' });
    expect((await grants({ grant: ['endpoints:serve'] })).response.status).toBe(200);
    await warm(ada.client);
    await ada.client.POST('/api/plugins/{plugin}/disable/', { ...plugin(key), body: {} });
    expect(await ping(ada.client)).toMatchObject({ status: 409, code: 'CONFLICT', reason: 'inactive' });
    await ada.client.POST('/api/plugins/{plugin}/enable/', { ...plugin(key), body: {} });
    await warm(ada.client);

    const kill = await admin.POST('/api/admin/plugins/{plugin}/kill/', { ...plugin(key), body: { reason: 'Test' } });
    expect(kill.response.status).toBe(200);
    expect(await ping(ada.client)).toMatchObject({ status: 409, code: 'PLUGIN_KILLED' });
    const revive = await admin.DELETE('/api/admin/plugins/{plugin}/kill/', { ...plugin(key), body: { reason: 'Ok' } });
    expect(revive.response.status).toBe(200);
    expect(await ping(ada.client)).toMatchObject({ status: 409, code: 'CONFLICT', reason: 'inactive' });
    await ada.client.POST('/api/plugins/{plugin}/enable/', { ...plugin(key), body: {} });
    await warm(ada.client);

    await ada.client.POST('/api/plugins/{plugin}/disable/', { ...plugin(key), body: {} });
    const gone = await ada.client.PUT('/api/plugins/{plugin}/uninstall/', { ...plugin(key), body: {} });
    expect(gone.response.status, JSON.stringify(gone.error)).toBe(200);
    expect(await ping(ada.client)).toMatchObject({ status: 404, code: 'PLUGIN_NOT_FOUND', reason: 'not_installed' });
  });

  it("an organisation's installation serves its members only while they are members", async () => {
    const org = { params: { path: { org: 'cache-org' } } };
    expect((await ada.client.POST('/api/orgs/', { body: { slug: 'cache-org', name: 'Cache' } })).response.status).toBe(
      201,
    );
    // Joining is an invitation the member accepts.
    const join = async () => {
      const invited = await ada.client.POST('/api/orgs/{org}/members/', { ...org, body: { user: bob.id } });
      expect(invited.response.status).toBe(202);
      const { token } = invited.data as unknown as { token: string };
      expect((await bob.client.POST('/api/invitations/accept/', { body: { token } })).response.status).toBe(201);
    };
    await join();
    await install(ada.client, key, { scope: 'org', org: 'cache-org' });
    await warm(bob.client);
    await ada.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'cache-org', user: bob.id } },
    });
    expect(await ping(bob.client)).toMatchObject({ status: 404, code: 'PLUGIN_NOT_FOUND', reason: 'not_installed' });
    await join();
    expect(await ping(bob.client)).toMatchObject(ok);
  });
});
