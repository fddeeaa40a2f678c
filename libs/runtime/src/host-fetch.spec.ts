import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateNetworkList, sandboxFetch, type FetchPolicy, type ResolvedAddress } from './host-fetch.js';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import { inlinePlugin } from './testing.js';

/** The server a plugin must not reach through a name (SSRF), listening on loopback. */
let server: FastifyInstance;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = Fastify({ forceCloseConnections: true });
  server.get('/*', (request, reply) => {
    hits.push(`${request.headers.host}${request.url}`);
    void reply.send('internal secret');
  });
  port = Number(new URL(await server.listen({ host: '127.0.0.1', port: 0 })).port);
});
afterAll(() => server.close());

/** A stub resolver: each name answers what the table says; lookups are counted. */
function stubResolver(table: Record<string, string[] | (() => string[])>) {
  const lookups: string[] = [];
  const resolve = (name: string): Promise<ResolvedAddress[]> => {
    lookups.push(name);
    const entry = table[name];
    const addresses = typeof entry === 'function' ? entry() : entry;
    if (!addresses) return Promise.reject(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }));
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return { resolve, lookups };
}

async function refusal(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

describe('fetch resolves, checks and pins', () => {
  const names = {
    'internal.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'private.test': ['10.0.0.5'],
    'cgnat.test': ['100.64.1.1'],
    'loopback6.test': ['::1'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'ula.test': ['fd00:ec2::254'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
  };
  const granted = [...Object.keys(names), '127.0.0.1'];

  it.each(Object.keys(names))('refuses %s, a granted name that resolves to a private address', async (name) => {
    const { resolve } = stubResolver(names);
    const policy: FetchPolicy = { resolve, privateNetworks: privateNetworkList() };
    const before = hits.length;
    const error = await refusal(sandboxFetch({ url: `http://${name}:${port}/` }, granted, 2000, policy));
    expect(error.code).toBe('PLUGIN_PERMISSION_DENIED');
    expect(error.details.reason).toBe('address_not_allowed');
    expect(hits.length).toBe(before);
  });

  it('reaches an IP literal the grant names as such, without any lookup', async () => {
    const { resolve, lookups } = stubResolver({});
    const policy: FetchPolicy = { resolve, privateNetworks: privateNetworkList() };
    const result = await sandboxFetch({ url: `http://127.0.0.1:${port}/literal` }, granted, 2000, policy);
    expect(result).toMatchObject({ status: 200, ok: true, body: 'internal secret' });
    expect(lookups).toEqual([]);
  });

  it('refuses a name that was not granted before resolving it', async () => {
    const { resolve, lookups } = stubResolver(names);
    const policy: FetchPolicy = { resolve, privateNetworks: privateNetworkList() };
    const error = await refusal(sandboxFetch({ url: `http://evil.test:${port}/` }, granted, 2000, policy));
    expect(error.details.reason).toBe('host_not_granted');
    expect(lookups).toEqual([]);
  });

  it('connects to the address it checked: a second DNS answer cannot rebind the request', async () => {
    let answers = 0;
    // First answer: an address the platform allows (privateNetworks); any later one: a forbidden one.
    const { resolve, lookups } = stubResolver({
      'rebind.test': () => (answers++ === 0 ? ['127.0.0.1'] : ['10.1.2.3']),
    });
    const policy: FetchPolicy = { resolve, privateNetworks: privateNetworkList(['127.0.0.0/8']) };
    const result = await sandboxFetch({ url: `http://rebind.test:${port}/pinned` }, ['rebind.test'], 2000, policy);
    expect(result.status).toBe(200);
    expect(hits.at(-1)).toBe(`rebind.test:${port}/pinned`); // the name is still the Host header
    expect(lookups).toEqual(['rebind.test']); // resolved once: the connection used that answer
    const second = await refusal(sandboxFetch({ url: `http://rebind.test:${port}/x` }, ['rebind.test'], 2000, policy));
    expect(second.details.reason).toBe('address_not_allowed');
  });

  it('inside a plugin: a granted name mapped to 127.0.0.1 by the resolver is refused, the plugin sees why', async () => {
    const { resolve } = stubResolver(names);
    const runtime = new PluginRuntime({ workers: 1, resolveHost: resolve });
    const spec = inlinePlugin(
      `export default { async onMessage(m) {
        try { const r = await (globalThis.ctx).http.fetch(m.data); return { status: r.status, body: r.body }; }
        catch (e) { return { name: e.name, code: e.code, reason: e.reason }; }
      }, onInit(c) { globalThis.ctx = c; } }`,
      {
        permissions: ['messages:receive', { capability: 'http:external', hosts: ['internal.test', '127.0.0.1'] }],
      },
    );
    try {
      await runtime.load(spec);
      const before = hits.length;
      expect(await runtime.message(spec.installationId, { type: 'x', data: `http://internal.test:${port}/` })).toEqual({
        name: 'PermissionDenied',
        code: 'PLUGIN_PERMISSION_DENIED',
        reason: 'address_not_allowed',
      });
      expect(hits.length).toBe(before);
      expect(await runtime.message(spec.installationId, { type: 'x', data: `http://127.0.0.1:${port}/ok` })).toEqual({
        status: 200,
        body: 'internal secret',
      });
    } finally {
      await runtime.close();
    }
  });
});
