import { EmbeddedMongoServer } from '@app/embedded-mongo';
import { PluginRuntime } from '@app/runtime';
import { inlinePlugin } from '@app/runtime/testing.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer, NatsTestServer } from '../apps/api/src/messaging/bus/nats-test-server.js';
import { startTestApp, type TestApp, useTestApp } from './support/app.js';
import { directoryOverride, GLOBAL, TestDirectory, userOwner } from './support/events.js';

/** Sends what its message says through `context.messages.send` and answers the reply or the error's code. */
const SENDER = `
  let ctx;
  export default {
    onInit(c) { ctx = c; },
    async onMessage(m) {
      try {
        return { ok: true, reply: await ctx.messages.send(m.data.target, m.data.type, m.data.payload, { timeout: m.data.timeout }) };
      } catch (e) {
        return { ok: false, code: e.code ?? null };
      }
    },
  };`;

const ECHO = `export default { onMessage(m) { return { echo: m.data, type: m.type, from: m.from }; } };`;
const SILENT = `export default { onMessage() { return new Promise(() => {}); } };`;
const FAILING = `export default { onMessage() { throw new TypeError('cannot handle that'); } };`;

type SendResult = { ok: true; reply: unknown } | { ok: false; code: string | null };

function plugins() {
  return {
    sender: inlinePlugin(SENDER, { pluginKey: 'alice.sender', permissions: ['messages:send', 'messages:receive'] }),
    echo: inlinePlugin(ECHO, { pluginKey: 'plughub.echo' }),
    silent: inlinePlugin(SILENT, { pluginKey: 'plughub.silent', limits: { timeout_ms: 5000 } }),
    failing: inlinePlugin(FAILING, { pluginKey: 'plughub.failing' }),
    bobs: inlinePlugin(ECHO, { pluginKey: 'bob.private' }),
  };
}

function register(directory: TestDirectory, p: ReturnType<typeof plugins>) {
  directory.add(p.sender.installationId, p.sender.pluginKey, userOwner('alice'));
  for (const spec of [p.echo, p.silent, p.failing]) directory.add(spec.installationId, spec.pluginKey, GLOBAL);
  directory.add(p.bobs.installationId, p.bobs.pluginKey, userOwner('bob'));
}

const send = (runtime: PluginRuntime, from: string, target: string, extra: Record<string, unknown> = {}) =>
  runtime.message(from, {
    type: 'go',
    data: { target, type: 'greet', payload: { name: 'Ada' }, timeout: 1000, ...extra },
  }) as Promise<SendResult>;

describe('plugin-to-plugin messages from the sandbox, on one node', () => {
  const directory = new TestDirectory();
  const p = plugins();
  const t = useTestApp({ overrides: [directoryOverride(directory)] });
  let runtime: PluginRuntime;

  beforeAll(async () => {
    runtime = t.app.get(PluginRuntime);
    for (const spec of Object.values(p)) await runtime.load(spec);
    register(directory, p);
  });

  it('delivers to the target in the sender’s scope and answers its reply', async () => {
    expect(await send(runtime, p.sender.installationId, 'plughub.echo')).toEqual({
      ok: true,
      reply: { echo: { name: 'Ada' }, type: 'greet', from: 'alice.sender' },
    });
  });

  it('fails with PLUGIN_TIMEOUT when the target never answers, within the sender’s timeout', async () => {
    const started = Date.now();
    expect(await send(runtime, p.sender.installationId, 'plughub.silent', { timeout: 300 })).toEqual({
      ok: false,
      code: 'PLUGIN_TIMEOUT',
    });
    // Bounded by the sender's timeout, not the target's (5 s): generous, so a loaded machine does not fail it.
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('passes the target’s own failure back, and refuses targets outside the sender’s scope', async () => {
    expect(await send(runtime, p.sender.installationId, 'plughub.failing')).toEqual({
      ok: false,
      code: 'PLUGIN_ERROR',
    });
    expect(await send(runtime, p.sender.installationId, 'bob.private')).toEqual({
      ok: false,
      code: 'PLUGIN_NOT_LOADED',
    });
    expect(await send(runtime, p.sender.installationId, 'nobody.there')).toEqual({
      ok: false,
      code: 'PLUGIN_NOT_LOADED',
    });
  });

  it('answers PLUGIN_NOT_LOADED at once for an installed target that is not running', async () => {
    await runtime.stop(p.failing.installationId);
    expect(await send(runtime, p.sender.installationId, 'plughub.failing')).toEqual({
      ok: false,
      code: 'PLUGIN_NOT_LOADED',
    });
  });
});

const natsBinary = findNatsServer();

describe.skipIf(!natsBinary && !process.env.CI)('plugin-to-plugin messages between two nodes over NATS', () => {
  let nats: NatsTestServer;
  let mongo: EmbeddedMongoServer;
  const apps: TestApp[] = [];
  const directory = new TestDirectory();
  const p = plugins();

  beforeAll(async () => {
    nats = await NatsTestServer.start();
    mongo = await EmbeddedMongoServer.start();
    for (const name of ['a', 'b']) {
      apps.push(
        await startTestApp({
          overrides: [directoryOverride(directory)],
          env: { MONGODB_URI: mongo.uri, NATS_URL: nats.url, PLUGHUB_NODE_NAME: `node-${name}` },
        }),
      );
    }
    const [a, b] = apps.map((app) => app.app.get(PluginRuntime));
    await a.load(p.sender);
    for (const spec of [p.echo, p.silent, p.failing, p.bobs]) await b.load(spec);
    register(directory, p);
  });

  afterAll(async () => {
    for (const app of apps) {
      expect(app.contractViolations).toEqual([]);
      await app.close();
    }
    await mongo?.stop();
    await nats?.stop();
  });

  it('reports the NATS bus in each node’s readiness', async () => {
    for (const app of apps) {
      const ready = await app.client().GET('/api/health/ready/', {});
      expect([ready.data?.status, ready.data?.checks.bus?.adapter, ready.data?.checks.bus?.state]).toEqual([
        'ready',
        'nats',
        'connected',
      ]);
    }
  });

  it('reaches a plugin hosted on the other node, and times out on one that never answers', async () => {
    const a = apps[0].app.get(PluginRuntime);
    expect(a.status(p.echo.installationId)).toBeUndefined();
    expect(await send(a, p.sender.installationId, 'plughub.echo')).toEqual({
      ok: true,
      reply: { echo: { name: 'Ada' }, type: 'greet', from: 'alice.sender' },
    });
    expect(await send(a, p.sender.installationId, 'plughub.silent', { timeout: 300 })).toEqual({
      ok: false,
      code: 'PLUGIN_TIMEOUT',
    });
    expect(await send(a, p.sender.installationId, 'plughub.failing')).toEqual({ ok: false, code: 'PLUGIN_ERROR' });
  });

  it('answers PLUGIN_NOT_LOADED once the hosting node stopped the target', async () => {
    const [a, b] = apps.map((app) => app.app.get(PluginRuntime));
    await b.stop(p.echo.installationId);
    expect(await send(a, p.sender.installationId, 'plughub.echo')).toEqual({ ok: false, code: 'PLUGIN_NOT_LOADED' });
  });
});
