import type { Permission } from '@app/plugin-sdk';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin, RecordingBridge, RecordingObserver } from './testing.js';

const observer = new RecordingObserver();
const bridge = new RecordingBridge();
const storage = new MemoryPluginStorage();
/** What context.http.fetch reaches: a local server, under a granted name the stub resolver maps to loopback. */
let web: FastifyInstance;
let webPort: number;
const fetched: string[] = [];
const resolved: string[] = [];
let runtime: PluginRuntime;

beforeAll(async () => {
  web = Fastify({ forceCloseConnections: true });
  web.get('/data', (request, reply) => {
    fetched.push(`${request.headers.host}${request.url}`);
    void reply.send(`fetched ${request.url}`);
  });
  webPort = Number(new URL(await web.listen({ host: '127.0.0.1', port: 0 })).port);
  runtime = new PluginRuntime({
    observer,
    bridge,
    storage,
    workers: 2,
    maxCrashes: 3,
    resolveHost: (name) => {
      resolved.push(name);
      return Promise.resolve([{ address: '127.0.0.1', family: 4 as const }]);
    },
    privateNetworks: ['127.0.0.0/8'], // this test platform lets granted names reach loopback
  });
  await runtime.warmUp();
});
afterAll(async () => {
  await runtime.close();
  await web.close();
});

async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error('expected the call to fail');
}

const ALL_HOOKS = `
  let ctx; const seen = [];
  export default {
    async onInit(context) { ctx = context; seen.push('init'); ctx.log.info('initialised', { key: ctx.plugin.key }); },
    async onMessage(message, context) {
      seen.push('message:' + message.type);
      const stored = await context.storage.get('last');
      await context.storage.set('last', message.data);
      return { seen, stored, from: message.from, same: context === ctx };
    },
    onEvent(event) { seen.push('event:' + event.type); ctx.events.emit('all.seen', { count: seen.length }); },
    onHealth() { return { checks: [{ name: 'seen', status: 'pass', value: seen.length }] }; },
    onCleanup() { ctx.events.emit('all.cleanup', { seen }); },
  };`;

describe('lifecycle', () => {
  it('round-trips every hook, with async host calls, and reports each call to the observer', async () => {
    const spec = inlinePlugin(ALL_HOOKS, {
      permissions: ['log', 'messages:receive', 'events:subscribe', 'events:emit', 'storage:read', 'storage:write'],
    });
    const id = spec.installationId;
    await runtime.load(spec);
    expect(runtime.status(id)).toMatchObject({ state: 'ready', kind: 'sandbox', pending: 0 });

    expect(await runtime.message(id, { type: 'first', data: { n: 1 }, from: 'acme.caller' })).toEqual({
      seen: ['init', 'message:first'],
      stored: undefined, // storage.get of a missing key
      from: 'acme.caller',
      same: true,
    });
    expect(await runtime.message(id, { type: 'second', data: { n: 2 } })).toMatchObject({ stored: { n: 1 } });
    await runtime.event(id, { type: 'user.login', data: { user: 'u1' } });
    expect(bridge.events).toContainEqual({ installationId: id, type: 'all.seen', data: { count: 4 } });

    const health = await runtime.health(id);
    expect(health.status).toBe('healthy');
    expect(health.checks).toContainEqual({ name: 'seen', status: 'pass', value: 4 });
    expect(health.checks.find((c) => c.name === 'memory_usage')).toMatchObject({ status: 'pass', unit: 'MB' });

    await runtime.stop(id);
    expect(bridge.events.find((e) => e.type === 'all.cleanup' && e.installationId === id)?.data).toEqual({
      seen: ['init', 'message:first', 'message:second', 'event:user.login'],
    });
    expect(runtime.status(id)).toBeUndefined();

    const calls = observer.callsOf(id);
    expect(calls.map((c) => `${c.hook}:${c.outcome}`)).toEqual([
      'onInit:ok',
      'onMessage:ok',
      'onMessage:ok',
      'onEvent:ok',
      'onHealth:ok',
      'onCleanup:ok',
    ]);
    for (const call of calls) {
      expect(call.durationMs).toBeGreaterThan(0);
      expect(call.memoryBytes).toBeGreaterThan(10_000);
      expect(call).toMatchObject({ pluginKey: spec.pluginKey, version: '1.0.0' });
    }
    expect(observer.statesOf(id)).toEqual(['loading', 'ready', 'stopping', 'stopped']);
    expect(observer.logs).toContainEqual(
      expect.objectContaining({ installationId: id, level: 'info', message: 'initialised', source: 'plugin' }),
    );
  });

  it('gives hooks that are not defined an undefined result', async () => {
    const spec = inlinePlugin('export default {}');
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'x' })).toBeUndefined();
    expect((await runtime.health(spec.installationId)).status).toBe('healthy');
    await runtime.stop(spec.installationId);
  });

  it('hands back any JSON value a hook returns or resolves to, whatever character its JSON starts with', async () => {
    // The answer's JSON crosses without a prefix, told apart from 'u' (undefined) and 'e' (an error) by its first
    // character: strings of those letters, numbers, literals, arrays and objects must all come back as they were.
    const spec = inlinePlugin(
      'export default { onMessage: (m) => m.data.later ? Promise.resolve(m.data.value) : m.data.value }',
    );
    await runtime.load(spec);
    const pollutes = (value: unknown) => /__proto__|prototype/.test(JSON.stringify(value));
    const value = fc.oneof(
      fc.constantFrom('u', 'e', 'p', 'e{"name":"x"}', '', -1, 0, 1.5, true, false, null, [], {}),
      fc.jsonValue().filter((v) => !pollutes(v)),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.boolean(), async (value, later) => {
        // The value crosses as JSON both ways, which has no -0: compare with what JSON makes of it.
        const sent: unknown = JSON.parse(JSON.stringify(value));
        expect(await runtime.message(spec.installationId, { type: 'x', data: { value, later } })).toEqual(sent);
      }),
      { numRuns: 60 },
    );
    await runtime.stop(spec.installationId);
  });

  it('refuses a second load of the same installation and calls to unknown ones', async () => {
    const spec = inlinePlugin('export default {}');
    await runtime.load(spec);
    expect((await failure(runtime.load(spec))).code).toBe('PLUGIN_ALREADY_LOADED');
    expect((await failure(runtime.message('nope', { type: 'x' }))).code).toBe('PLUGIN_NOT_LOADED');
    await runtime.stop(spec.installationId);
  });

  it.each([
    ['a syntax error', 'export default {', /SyntaxError/],
    ['a module that exports nothing', 'const x = 1; export {};', /exports nothing/],
    ['module.exports that is no object', 'module.exports = 42;', /module\.exports/],
    ['a throwing onInit', 'export default { onInit() { throw new Error("boom at init") } }', /boom at init/],
    ['a rejecting onInit', 'export default { async onInit() { throw new Error("async boom") } }', /async boom/],
    ['a module-level throw', 'throw new Error("top-level boom"); export default {}', /top-level boom/],
  ])('fails startup on %s, keeps the instance as failed, and restarts once fixed', async (_, code, pattern) => {
    const spec = inlinePlugin(code);
    const error = await failure(runtime.load(spec));
    expect(error.code).toBe('PLUGIN_STARTUP_FAILED');
    expect(error.apiCode).toBe('PLUGIN_STARTUP_FAILED');
    expect(error.message).toMatch(pattern);
    expect(runtime.status(spec.installationId)).toMatchObject({ state: 'failed' });
    expect((await failure(runtime.message(spec.installationId, { type: 'x' }))).code).toBe('PLUGIN_FAILED');
    expect((await runtime.health(spec.installationId)).status).toBe('unhealthy');

    await runtime.restart(spec.installationId, { code: 'export default { onMessage: () => "fixed" }' });
    expect(await runtime.message(spec.installationId, { type: 'x' })).toBe('fixed');
    await runtime.stop(spec.installationId);
  });

  it('reloads with new config on restart', async () => {
    const spec = inlinePlugin('let c; export default { onInit(x) { c = x }, onMessage: () => c.config.greeting }', {
      permissions: ['messages:receive', 'config:read'],
      config: { greeting: 'hi' },
    });
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'x' })).toBe('hi');
    await runtime.restart(spec.installationId, { config: { greeting: 'bonjour' } });
    expect(await runtime.message(spec.installationId, { type: 'x' })).toBe('bonjour');
    await runtime.stop(spec.installationId);
  });
});

const PROBE = `
  let ctx;
  const probes = {
    log: () => ctx.log.info('hi'),
    console: () => console.log('via console', { a: 1 }),
    config: () => ctx.config.greeting,
    emit: () => ctx.events.emit('probe.fired', { x: 1 }),
    emitUndeclared: () => ctx.events.emit('not.declared', {}),
    send: () => ctx.messages.send('acme.other', 'ping', { q: 1 }, { timeout: 50 }),
    get: () => ctx.storage.get('k'),
    set: () => ctx.storage.set('k', 1),
    del: () => ctx.storage.delete('k'),
    list: () => ctx.storage.list(),
    fetch: (port) => ctx.http.fetch('http://api.allowed.test:' + port + '/data').then((r) => r.body),
    fetchOther: () => ctx.http.fetch('https://evil.test/steal'),
  };
  export default {
    onInit(context) { ctx = context; },
    async onMessage(message) {
      try { return { ok: await probes[message.type](message.data) ?? null }; }
      catch (e) { return { error: e.name + ': ' + e.message }; }
    },
  };`;

const ALL: Permission[] = [
  'log',
  'config:read',
  'secrets:read',
  'events:emit',
  'messages:send',
  'messages:receive',
  'storage:read',
  'storage:write',
  { capability: 'http:external', hosts: ['api.allowed.test'] },
];

describe('capability gating', () => {
  const manifest = { events: { emits: [{ type: 'probe.fired' }] } };

  it.each([
    ['log', 'log'],
    ['emit', 'events:emit'],
    ['send', 'messages:send'],
    ['get', 'storage:read'],
    ['list', 'storage:read'],
    ['set', 'storage:write'],
    ['del', 'storage:write'],
    ['fetch', 'http:external'],
  ])(
    '%s without %s throws PermissionDenied inside the sandbox and nothing reaches the host',
    async (probe, capability) => {
      // The manifest requests everything; only messages:receive is granted.
      const spec = inlinePlugin(PROBE, { permissions: [...ALL], grants: ['messages:receive'], manifest });
      await runtime.load(spec);
      const before = {
        events: bridge.events.length,
        messages: bridge.messages.length,
        fetches: fetched.length,
      };
      const logsBefore = observer.logs.filter((l) => l.installationId === spec.installationId).length;

      expect(await runtime.message(spec.installationId, { type: probe })).toEqual({
        error: `PermissionDenied: ${capability} not granted`,
      });
      expect(bridge.events.length).toBe(before.events);
      expect(bridge.messages.length).toBe(before.messages);
      expect(fetched.length).toBe(before.fetches);
      expect(await storage.list(spec.installationId)).toEqual([]);
      expect(observer.logs.filter((l) => l.installationId === spec.installationId).length).toBe(logsBefore);
      await runtime.stop(spec.installationId);
    },
  );

  it('console without log does nothing, and config without config:read is empty: nothing throws or leaks', async () => {
    const spec = inlinePlugin(PROBE, {
      permissions: [...ALL],
      grants: ['messages:receive'],
      manifest,
      config: { greeting: 'hidden' },
      secrets: { token: 'hidden too' },
    });
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'console' })).toEqual({ ok: null });
    expect(await runtime.message(spec.installationId, { type: 'config' })).toEqual({ ok: null });
    expect(observer.logs.filter((l) => l.installationId === spec.installationId)).toEqual([]);
    await runtime.stop(spec.installationId);
  });

  it('lets every granted capability through', async () => {
    const spec = inlinePlugin(PROBE, { permissions: [...ALL], manifest, config: { greeting: 'hey' } });
    const id = spec.installationId;
    await runtime.load(spec);
    const ask = (type: string, data?: unknown) => runtime.message(id, { type, data });
    expect(await ask('config')).toEqual({ ok: 'hey' });
    expect(await ask('emit')).toEqual({ ok: null });
    expect(bridge.events).toContainEqual({ installationId: id, type: 'probe.fired', data: { x: 1 } });
    expect(await ask('emitUndeclared')).toEqual({
      error: 'Error: event type not.declared is not declared in events.emits',
    });
    expect(await ask('send')).toEqual({ ok: { echo: { target: 'acme.other', type: 'ping', data: { q: 1 } } } });
    expect(bridge.messages.at(-1)).toMatchObject({ from: id, timeoutMs: 50 });
    expect(await ask('set')).toEqual({ ok: null });
    expect(await ask('get')).toEqual({ ok: 1 });
    expect(await ask('list')).toEqual({ ok: ['k'] });
    expect(await ask('del')).toEqual({ ok: true });
    expect(await ask('fetch', webPort)).toEqual({ ok: 'fetched /data' });
    expect(fetched.at(-1)).toBe(`api.allowed.test:${webPort}/data`); // the name stays the Host header
    const fetches = fetched.length;
    const lookups = resolved.length;
    expect(await ask('fetchOther')).toEqual({
      error: 'PermissionDenied: http:external does not allow https://evil.test',
    });
    expect(fetched.length).toBe(fetches);
    expect(resolved.length).toBe(lookups); // refused before any lookup
    await ask('log');
    await ask('console');
    expect(observer.logs.filter((l) => l.installationId === id).map((l) => l.message)).toEqual([
      'hi',
      'via console {"a":1}',
    ]);
    await runtime.stop(id);
  });

  it('shows secrets only with secrets:read and ignores grants the manifest did not request', async () => {
    const code = 'let c; export default { onInit(x) { c = x }, onMessage: () => c.config }';
    const withSecrets = inlinePlugin(code, {
      permissions: ['messages:receive', 'config:read', 'secrets:read'],
      config: { plain: 1 },
      secrets: { token: 's3cret' },
    });
    const withoutSecrets = inlinePlugin(code, {
      permissions: ['messages:receive', 'config:read'],
      grants: ['messages:receive', 'config:read', 'secrets:read'], // secrets:read was never requested
      config: { plain: 1 },
      secrets: { token: 's3cret' },
    });
    await runtime.load(withSecrets);
    await runtime.load(withoutSecrets);
    expect(await runtime.message(withSecrets.installationId, { type: 'x' })).toEqual({ plain: 1, token: 's3cret' });
    expect(await runtime.message(withoutSecrets.installationId, { type: 'x' })).toEqual({ plain: 1 });
    await runtime.stop(withSecrets.installationId);
    await runtime.stop(withoutSecrets.installationId);
  });

  it('does not call onMessage or onEvent without messages:receive / events:subscribe', async () => {
    const spec = inlinePlugin('export default { onMessage: () => 1, onEvent: () => 1 }', { permissions: ['log'] });
    await runtime.load(spec);
    expect((await failure(runtime.message(spec.installationId, { type: 'x' }))).code).toBe('PLUGIN_PERMISSION_DENIED');
    expect((await failure(runtime.event(spec.installationId, { type: 'x', data: null }))).code).toBe(
      'PLUGIN_PERMISSION_DENIED',
    );
    expect(observer.callsOf(spec.installationId).map((c) => c.hook)).toEqual(['onInit']);
    await runtime.stop(spec.installationId);
  });

  it('holds even when the plugin patches the built-ins the sandbox API uses', async () => {
    const spec = inlinePlugin(
      `let c; export default { onInit(x) { c = x }, async onMessage() {
        Set.prototype.has = () => true;
        Object.prototype.events = 1;
        Array.prototype.includes = () => true;
        JSON.stringify = () => '{"__proto__": {"polluted": true}}';
        const results = [];
        for (const attempt of [() => c.events.emit('a.b', {}), () => c.storage.set('k', 1), () => c.log.info('x')]) {
          try { attempt(); results.push('allowed'); } catch (e) { results.push(e.name + ': ' + e.message); }
        }
        return results;
      } }`,
      { permissions: ['messages:receive'] },
    );
    const before = bridge.events.length;
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'x' })).toEqual([
      'PermissionDenied: events:emit not granted',
      'PermissionDenied: storage:write not granted',
      'PermissionDenied: log not granted',
    ]);
    expect(bridge.events.length).toBe(before);
    expect(await storage.list(spec.installationId)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await runtime.stop(spec.installationId);
  });

  it('reports an uncaught PermissionDenied as the failure of that call', async () => {
    const spec = inlinePlugin(
      'let c; export default { onInit(x) { c = x }, onMessage() { c.events.emit("a.b", {}) } }',
    );
    await runtime.load(spec);
    const error = await failure(runtime.message(spec.installationId, { type: 'x' }));
    expect(error.code).toBe('PLUGIN_ERROR');
    expect(error.message).toBe('PermissionDenied: events:emit not granted');
    await runtime.stop(spec.installationId);
  });
});

describe('escape attempts', () => {
  const ESCAPES = `
    const attempts = {
      process: () => typeof process,
      require: () => typeof require,
      module: () => typeof module,
      globalProcess: () => typeof globalThis.process,
      functionCtor: () => Function('return typeof process')(),
      constructorChain: () => ({}).constructor.constructor('return typeof this.process + "/" + typeof this.require')(),
      thisChain: () => (function () { return this; }).call(undefined) === undefined ? 'strict' : 'sloppy',
      evalProcess: () => (0, eval)('typeof process'),
      webAssembly: () => typeof WebAssembly,
      sharedArrayBuffer: () => typeof SharedArrayBuffer === 'undefined' ? 'undefined' : 'local only',
      dynamicImport: () => import('node:fs').then(() => 'loaded', (e) => 'refused: ' + e.message),
      std: () => import('std').then(() => 'loaded', () => 'refused'),
      globals: () => Object.getOwnPropertyNames(globalThis).filter((k) => /native|host|plughub|dispatch|settle/i.test(k)).join(','),
      freezeContext: () => { try { ctx.events.emit = () => 'hijacked'; return 'mutable'; } catch (e) { return 'frozen'; } },
      pollute: () => {
        Object.prototype.polluted = 'inside';
        Array.prototype.polluted = 'inside';
        return JSON.parse('{"__proto__": {"polluted": "from plugin"}, "constructor": {"prototype": {"polluted": "x"}}}');
      },
      reflectInput: (data) => { const merged = Object.assign({}, data); return { merged, polluted: ({}).polluted ?? null }; },
    };
    let ctx;
    export default {
      onInit(c) { ctx = c; },
      async onMessage(m) { return await attempts[m.type](m.data); },
    };`;
  let id: string;

  beforeAll(async () => {
    const spec = inlinePlugin(ESCAPES);
    id = spec.installationId;
    await runtime.load(spec);
  });
  afterAll(() => runtime.stop(id));

  const ask = (type: string, data?: unknown) => runtime.message(id, { type, data });

  it.each([
    ['process', 'undefined'],
    ['require', 'undefined'],
    ['module', 'undefined'],
    ['globalProcess', 'undefined'],
    ['functionCtor', 'undefined'],
    ['constructorChain', 'undefined/undefined'],
    ['thisChain', 'strict'],
    ['evalProcess', 'undefined'],
    ['webAssembly', 'undefined'],
    ['std', 'refused'],
    ['globals', ''],
    ['freezeContext', 'frozen'],
  ])('%s → %s', async (type, expected) => {
    expect(await ask(type)).toBe(expected);
  });

  it('cannot import Node modules, dynamically or statically', async () => {
    expect(await ask('dynamicImport')).toMatch(/^refused/);
    const spec = inlinePlugin('import fs from "node:fs"; export default { onMessage: () => typeof fs }');
    expect((await failure(runtime.load(spec))).code).toBe('PLUGIN_STARTUP_FAILED');
  });

  it('cannot pollute the host prototypes, neither through its reply nor through data handed in', async () => {
    const reply = (await ask('pollute')) as Record<string, unknown>;
    const merged: Record<string, unknown> = Object.assign({}, reply);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged.polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(reply, '__proto__')).toBe(false);

    const hostile = JSON.parse('{"__proto__": {"polluted": "from host"}, "a": 1}') as unknown;
    expect(await ask('reflectInput', hostile)).toEqual({ merged: { a: 1 }, polluted: 'inside' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('limits', () => {
  it('interrupts an infinite loop at timeout_ms, counts a timeout, and keeps the instance usable', async () => {
    const spec = inlinePlugin(
      'export default { onMessage(m) { if (m.type === "loop") { for (;;) {} } return "alive"; } }',
      {
        limits: { timeout_ms: 300 },
      },
    );
    await runtime.load(spec);
    const started = Date.now();
    const error = await failure(runtime.message(spec.installationId, { type: 'loop' }));
    expect(error.code).toBe('PLUGIN_TIMEOUT');
    expect(error.apiCode).toBe('PLUGIN_COMMUNICATION_TIMEOUT');
    // The loop never ends by itself: the interrupt ended it, not the watchdog (that one quarantines, checked below).
    // The bound is generous so a loaded machine does not fail it.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(observer.callsOf(spec.installationId).at(-1)).toMatchObject({ outcome: 'timeout', hook: 'onMessage' });
    expect(await runtime.message(spec.installationId, { type: 'ping' })).toBe('alive');
    expect(runtime.status(spec.installationId)).toMatchObject({ state: 'ready', errors: 1, recentFailures: 1 });
    expect(runtime.status(spec.installationId)!.quarantine).toBeUndefined();
    await runtime.stop(spec.installationId);
  });

  it('times out a loop that catches everything and a promise that never settles', async () => {
    const spec = inlinePlugin(
      `export default { async onMessage(m) {
        if (m.type === 'catchy') { for (;;) { try { for (;;) {} } catch (e) {} } }
        if (m.type === 'hang') { await new Promise(() => {}); }
        return 'alive';
      } }`,
      { limits: { timeout_ms: 250 } },
    );
    await runtime.load(spec);
    expect((await failure(runtime.message(spec.installationId, { type: 'catchy' }))).code).toBe('PLUGIN_TIMEOUT');
    expect((await failure(runtime.message(spec.installationId, { type: 'hang' }))).code).toBe('PLUGIN_TIMEOUT');
    expect(await runtime.message(spec.installationId, { type: 'ping' })).toBe('alive');
    await runtime.stop(spec.installationId);
  });

  it('fails a memory bomb with PLUGIN_MEMORY_LIMIT and recovers once the garbage is gone', async () => {
    const spec = inlinePlugin(
      `export default { onMessage(m) {
        if (m.type === 'bomb') { const a = []; for (let i = 0; ; i++) a.push({ i, s: 'y' + i, list: [i, i + 1] }); }
        return 'alive';
      } }`,
      // The memory limit must end it, not the time limit or the CPU budget (a window's budget is at least
      // timeout_ms), however loaded the machine is.
      { limits: { memory_mb: 8, timeout_ms: 20_000 } },
    );
    await runtime.load(spec);
    const error = await failure(runtime.message(spec.installationId, { type: 'bomb' }));
    expect(error.code).toBe('PLUGIN_MEMORY_LIMIT');
    expect(error.apiCode).toBe('LIMIT_EXCEEDED');
    expect(await runtime.message(spec.installationId, { type: 'ping' })).toBe('alive');
    expect(runtime.status(spec.installationId)!.memoryBytes).toBeLessThan(8 * 1024 * 1024);
    await runtime.stop(spec.installationId);
  });

  it('turns runaway recursion into an error inside the plugin', async () => {
    const spec = inlinePlugin('function f(n) { return f(n + 1) + 1 } export default { onMessage: () => f(0) }');
    await runtime.load(spec);
    const error = await failure(runtime.message(spec.installationId, { type: 'x' }));
    expect(error.code).toBe('PLUGIN_ERROR');
    expect(error.message).toMatch(/stack overflow/i);
    await runtime.stop(spec.installationId);
  });

  it('rejects calls beyond max_pending at once with LIMIT_EXCEEDED', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bridge.reply = async () => {
      await gate;
      return 'released';
    };
    const spec = inlinePlugin(
      'let c; export default { onInit(x) { c = x }, onMessage: () => c.messages.send("acme.slow", "wait", null) }',
      { permissions: ['messages:receive', 'messages:send'], limits: { max_pending: 2, timeout_ms: 5000 } },
    );
    await runtime.load(spec);
    const first = runtime.message(spec.installationId, { type: 'a' });
    const second = runtime.message(spec.installationId, { type: 'b' });
    const started = Date.now();
    const third = await failure(runtime.message(spec.installationId, { type: 'c' }));
    expect(third.code).toBe('LIMIT_EXCEEDED');
    // At once: refused while the two before it still wait at the gate (a queued call would wait for the release
    // below and never settle here). The bound is only that it did not wait out its timeout_ms, never a speed.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(runtime.status(spec.installationId)!.pending).toBe(2);
    release();
    expect(await Promise.all([first, second])).toEqual(['released', 'released']);
    bridge.reply = new RecordingBridge().reply;
    await runtime.stop(spec.installationId);
  });

  it('counts async host calls against the time budget', async () => {
    // The host call answers only when released, after the verdict: a budget that did not count it would wait.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    bridge.reply = async () => {
      await gate;
      return 'late';
    };
    const spec = inlinePlugin(
      'let c; export default { onInit(x) { c = x }, onMessage: () => c.messages.send("acme.slow", "wait", null, { timeout: 60000 }) }',
      { permissions: ['messages:receive', 'messages:send'], limits: { timeout_ms: 300 } },
    );
    await runtime.load(spec);
    const started = Date.now();
    expect((await failure(runtime.message(spec.installationId, { type: 'a' }))).code).toBe('PLUGIN_TIMEOUT');
    // Generous: the plugin's own timeout (60 s) would be far beyond it; a loaded machine does not fail it.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(bridge.messages.at(-1)!.timeoutMs).toBe(300); // the plugin's own timeout is capped by its budget
    release();
    bridge.reply = new RecordingBridge().reply;
    await runtime.stop(spec.installationId);
  });

  it('enforces the storage quota inside the plugin', async () => {
    const spec = inlinePlugin(
      `let c; export default { onInit(x) { c = x }, async onMessage(m) {
        try { await c.storage.set(m.type, 'x'.repeat(m.data)); return 'stored'; } catch (e) { return e.name + ': ' + e.message; }
      } }`,
      { permissions: ['messages:receive', 'storage:write'], storageQuotaBytes: 100 },
    );
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'a', data: 50 })).toBe('stored');
    expect(await runtime.message(spec.installationId, { type: 'b', data: 50 })).toMatch(
      /^LimitExceeded: storage quota exceeded/,
    );
    expect(await runtime.message(spec.installationId, { type: 'a', data: 10 })).toBe('stored'); // shrinking is fine
    await runtime.stop(spec.installationId);
  });

  it('marks an instance failed after maxCrashes crashes in the window, and restart brings it back', async () => {
    const spec = inlinePlugin(
      'export default { onMessage(m) { if (m.type === "loop") for (;;) {} return "alive"; } }',
      {
        limits: { timeout_ms: 100 },
      },
    );
    const id = spec.installationId;
    await runtime.load(spec);
    for (let i = 0; i < 3; i++)
      expect((await failure(runtime.message(id, { type: 'loop' }))).code).toBe('PLUGIN_TIMEOUT');
    expect(runtime.status(id)).toMatchObject({ state: 'failed', recentFailures: 3 });
    expect(runtime.status(id)!.reason).toMatch(/3 crashes within 60 s/);
    expect((await failure(runtime.message(id, { type: 'ping' }))).code).toBe('PLUGIN_FAILED');
    expect(await runtime.health(id)).toMatchObject({ status: 'unhealthy', state: 'failed' });

    await runtime.restart(id);
    expect(await runtime.message(id, { type: 'ping' })).toBe('alive');
    expect(observer.statesOf(id)).toEqual(['loading', 'ready', 'failed', 'stopped', 'loading', 'ready']);
    await runtime.stop(id);
  });

  it('keeps a flooding plugin from swamping the main thread with logs, events or host calls', async () => {
    const spec = inlinePlugin(
      `let c; export default { onInit(x) { c = x }, async onMessage(m) {
        if (m.type === 'logs') { for (let i = 0; i < 5000; i++) c.log.info('line ' + i); return 'logged'; }
        if (m.type === 'events') {
          let sent = 0;
          try { for (;;) { c.events.emit('flood.tick', { sent }); sent++; } } catch (e) { return sent + ' ' + e.name; }
        }
        const calls = Array.from({ length: 100 }, (_, i) => c.storage.get('k' + i).then(() => 'ok', (e) => e.name));
        return (await Promise.all(calls)).filter((r) => r === 'LimitExceeded').length;
      } }`,
      { permissions: ['messages:receive', 'log', 'events:emit', 'storage:read'] },
    );
    await runtime.load(spec);
    const id = spec.installationId;
    // The budgets are per one-second window. On a loaded machine a loop may outlast a window, so the counts below
    // hold whatever the speed: each window keeps at most its budget and says once that it dropped the rest.
    expect(await runtime.message(id, { type: 'logs' })).toBe('logged');
    const lines = observer.logs.filter((l) => l.installationId === id).map((l) => l.message);
    const warnings = lines.filter((m) => /log rate limit of 200 lines\/s exceeded/.test(m));
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(lines.slice(0, 201)).toEqual([...Array.from({ length: 200 }, (_, i) => `line ${i}`), warnings[0]]);
    expect(lines.length - warnings.length).toBeLessThanOrEqual(200 * (warnings.length + 1));
    expect(lines.length).toBeLessThan(5000);
    const [sent, refusal] = String(await runtime.message(id, { type: 'events' })).split(' ');
    expect(refusal).toBe('LimitExceeded');
    expect(Number(sent)).toBeGreaterThanOrEqual(100);
    await expect.poll(() => bridge.events.filter((e) => e.installationId === id).length).toBe(Number(sent));
    expect(await runtime.message(id, { type: 'host' })).toBe(36); // 64 in flight at most
    await runtime.stop(id);
  });

  it('rejects data that is not JSON-serialisable before it reaches the plugin', async () => {
    const spec = inlinePlugin('export default { onMessage: () => 1 }');
    await runtime.load(spec);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect((await failure(runtime.message(spec.installationId, { type: 'x', data: cyclic }))).code).toBe(
      'INVALID_ARGUMENT',
    );
    await runtime.stop(spec.installationId);
  });
});
