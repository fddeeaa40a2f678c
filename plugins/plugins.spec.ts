import { fileURLToPath } from 'node:url';
import {
  MemoryPluginStorage,
  PluginRuntime,
  readPluginDirectory,
  type LoadSpec,
  type PluginDirectory,
} from '@app/runtime';
import { RecordingBridge, RecordingObserver } from '@app/runtime/testing.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The shipped sample plugins, loaded from their folders through the runtime, as the server does with builtins. */

const dir = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

let runtime: PluginRuntime;
const observer = new RecordingObserver();
const bridge = new RecordingBridge();

beforeAll(() => {
  // The app backs storage with Mongo (PluginStorageRepository, tested on its own); the plugins only need a store.
  runtime = new PluginRuntime({ observer, bridge, storage: new MemoryPluginStorage(), workers: 1 });
});

afterAll(async () => {
  await runtime.close();
});

function spec(id: string, plugin: PluginDirectory, extra: Partial<LoadSpec> = {}): LoadSpec {
  return {
    installationId: id,
    pluginKey: plugin.manifest.key,
    version: plugin.manifest.version,
    manifest: plugin.manifest,
    code: plugin.code,
    grants: plugin.manifest.permissions ?? [],
    ...extra,
  };
}

describe('plugins/ folders', () => {
  it.each(['hello', 'counter', 'webhook-relay'])('%s has a valid manifest, a runner and a README', async (name) => {
    const plugin = await readPluginDirectory(dir(name));
    expect(plugin.code).toContain('export default');
    expect(plugin.readme).toMatch(/^# /);
  });
});

describe('plughub.hello', () => {
  it('answers greetings with its configured greeting and emits hello.greeted', async () => {
    const hello = await readPluginDirectory(dir('hello'));
    expect(hello.icon).toContain('<svg');
    await runtime.load(spec('hello-1', hello, { config: { greeting: 'Ahoy' } }));
    expect(await runtime.message('hello-1', { type: 'greet', data: { name: 'Ada' } })).toEqual({
      text: 'Ahoy, Ada!',
      greeted: 1,
    });
    expect(bridge.events).toContainEqual({ installationId: 'hello-1', type: 'hello.greeted', data: { name: 'Ada' } });
    expect(await runtime.health('hello-1')).toMatchObject({ status: 'healthy' });
    const error = await runtime.message('hello-1', { type: 'dance' }).catch((e: Error) => e.message);
    expect(error).toMatch(/unknown message type "dance"/);
    await runtime.stop('hello-1');
    expect(observer.logs.filter((l) => l.installationId === 'hello-1').map((l) => l.message)).toEqual([
      'hello ready',
      'hello stopping',
    ]);
  });

  it('without events:emit the greeting fails inside the plugin and no event is emitted', async () => {
    const hello = await readPluginDirectory(dir('hello'));
    const grants = (hello.manifest.permissions ?? []).filter((p) => p !== 'events:emit');
    await runtime.load(spec('hello-2', hello, { grants }));
    const before = bridge.events.length;
    const error = await runtime.message('hello-2', { type: 'greet', data: { name: 'Bob' } }).catch((e: Error) => e);
    expect((error as Error).message).toBe('PermissionDenied: events:emit not granted');
    expect(bridge.events.length).toBe(before);
    await runtime.stop('hello-2');
  });
});

describe('plughub.counter', () => {
  it('keeps counters in storage across restarts, uses its step and its secret token', async () => {
    const counter = await readPluginDirectory(dir('counter'));
    const load = spec('counter-1', counter, { config: { step: 5 }, secrets: { admin_token: 'open-sesame' } });
    await runtime.load(load);
    const send = (type: string, data?: unknown) => runtime.message('counter-1', { type, data });
    expect(await send('increment', { name: 'visits' })).toEqual({ name: 'visits', value: 5 });
    expect(await send('increment', { name: 'visits' })).toEqual({ name: 'visits', value: 10 });
    await runtime.restart('counter-1');
    expect(await send('get', { name: 'visits' })).toEqual({ name: 'visits', value: 10 });
    expect(await send('list')).toEqual({ names: ['visits'] });

    await expect(send('reset', { name: 'visits', token: 'guess' })).rejects.toThrow(/invalid admin token/);
    expect(await send('reset', { name: 'visits', token: 'open-sesame' })).toEqual({ name: 'visits', value: 0 });
    expect(await send('get', { name: 'visits' })).toEqual({ name: 'visits', value: 0 });
    await runtime.stop('counter-1');
  });

  it('cannot see its secret without secrets:read, so reset stays locked', async () => {
    const counter = await readPluginDirectory(dir('counter'));
    const grants = (counter.manifest.permissions ?? []).filter((p) => p !== 'secrets:read');
    await runtime.load(spec('counter-2', counter, { grants, secrets: { admin_token: 'open-sesame' } }));
    await expect(
      runtime.message('counter-2', { type: 'reset', data: { name: 'x', token: 'open-sesame' } }),
    ).rejects.toThrow(/invalid admin token/);
    expect(observer.logs).toContainEqual(
      expect.objectContaining({
        installationId: 'counter-2',
        level: 'warn',
        message: 'admin_token is not set: reset is disabled',
      }),
    );
    await runtime.stop('counter-2');
  });
});

describe('plughub.webhook-relay', () => {
  let hook: FastifyInstance;
  let hookUrl: string;
  const deliveries: Array<{ method: string; body: unknown; source?: string }> = [];

  beforeAll(async () => {
    hook = Fastify({ forceCloseConnections: true });
    hook.all('/hook', (request, reply) => {
      deliveries.push({
        method: request.method,
        body: request.body,
        source: request.headers['x-relay-source'] as string,
      });
      return reply.send({ received: true });
    });
    hookUrl = `${await hook.listen({ host: '127.0.0.1', port: 0 })}/hook`;
  });
  afterAll(() => hook.close());

  /** The shipped manifest allows hooks.example.com; the test installation requests and is granted 127.0.0.1. */
  async function relay(id: string, webhookUrl: string) {
    const plugin = await readPluginDirectory(dir('webhook-relay'));
    const permissions = (plugin.manifest.permissions ?? []).map((p) =>
      typeof p === 'string' ? p : { capability: 'http:external' as const, hosts: ['127.0.0.1'] },
    );
    const manifest = { ...plugin.manifest, permissions };
    await runtime.load(
      spec(id, { ...plugin, manifest }, { grants: permissions, config: { webhook_url: webhookUrl, label: 'test' } }),
    );
  }

  it('relays messages and events as JSON POSTs to the allowed host', async () => {
    await relay('relay-1', hookUrl);
    expect(await runtime.message('relay-1', { type: 'relay', data: { order: 42 } })).toEqual({
      delivered: true,
      status: 200,
      reply: { received: true },
    });
    await runtime.event('relay-1', { type: 'hello.greeted', data: { name: 'Ada' } });
    expect(deliveries.map((d) => [d.method, d.source])).toEqual([
      ['POST', 'test'],
      ['POST', 'test'],
    ]);
    expect(deliveries[0].body).toEqual({ kind: 'message', source: 'test', payload: { order: 42 } });
    expect(deliveries[1].body).toMatchObject({
      kind: 'event',
      source: 'test',
      payload: { type: 'hello.greeted', data: { name: 'Ada' } },
    });
    expect((await runtime.health('relay-1')).checks[0]).toMatchObject({ name: 'webhook', status: 'pass' });
    await runtime.stop('relay-1');
  });

  it('cannot reach a host outside its grant', async () => {
    const before = deliveries.length;
    await relay('relay-2', hookUrl.replace('127.0.0.1', 'localhost'));
    await expect(runtime.message('relay-2', { type: 'relay', data: {} })).rejects.toThrow(
      /PermissionDenied: http:external does not allow http:\/\/localhost/,
    );
    expect((await runtime.health('relay-2')).status).toBe('unhealthy');
    expect(deliveries.length).toBe(before);
    await runtime.stop('relay-2');
  });
});
