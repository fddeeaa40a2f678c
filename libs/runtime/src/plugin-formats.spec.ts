import { readFileSync } from 'node:fs';
import { validateManifest, type EndpointDeclaration, type PluginManifest } from '@app/plugin-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import type { LoadSpec } from './runtime.types.js';
import { inlinePlugin, RecordingObserver } from './testing.js';

/** The seeds' plugin format (CommonJS, hooks map), onProcess and onRequest, lifecycle results, context.grants. */

const observer = new RecordingObserver();
let runtime: PluginRuntime;

beforeAll(async () => {
  runtime = new PluginRuntime({ observer, workers: 1 });
  await runtime.warmUp();
});
afterAll(() => runtime.close());

async function failure(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeError);
    return error as RuntimeError;
  }
  throw new Error('expected the call to fail');
}

async function loaded(spec: LoadSpec): Promise<string> {
  await runtime.load(spec);
  return spec.installationId;
}

describe("seed 002's example, copied as the document prints it", () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`../../plugin-sdk/src/fixtures/seed-002/${name}`, import.meta.url), 'utf8');

  it('loads, initialises with { status: "success" }, processes an array, and cleans up', async () => {
    const result = validateManifest(JSON.parse(fixture('manifest.json.txt')), { publisher: 'example' });
    expect(result.valid).toBe(true);
    const manifest = (result as { manifest: PluginManifest }).manifest;
    const spec: LoadSpec = {
      installationId: 'seed-002',
      pluginKey: manifest.key,
      version: manifest.version,
      manifest,
      code: fixture('index.js.txt'),
      grants: manifest.permissions ?? [],
    };
    await runtime.load(spec);
    expect(runtime.status('seed-002')).toMatchObject({
      state: 'ready',
      initResult: { status: 'success' },
      grants: ['read:data', 'write:data', 'process:data'],
    });

    const before = Date.now();
    const processed = (await runtime.process('seed-002', [{ id: 1 }, { id: 2, name: 'two' }])) as Array<
      Record<string, unknown>
    >;
    const timestamps = processed.map((item) => item.timestamp as string);
    expect(processed).toEqual([
      { id: 1, processed: true, timestamp: timestamps[0] },
      { id: 2, name: 'two', processed: true, timestamp: timestamps[1] },
    ]);
    for (const t of timestamps) expect(new Date(t).toISOString()).toBe(t);
    expect(Date.parse(timestamps[0])).toBeGreaterThanOrEqual(before - 1000);
    expect(observer.callsOf('seed-002').map((c) => [c.hook, c.outcome])).toEqual([
      ['onInit', 'ok'],
      ['onProcess', 'ok'],
    ]);

    // Its console.log calls are silent: it asks for no log capability, and that is no error.
    expect(await runtime.stop('seed-002')).toEqual({ cleanupResult: { status: 'success' } });
    expect(observer.logs.filter((l) => l.installationId === 'seed-002' && l.source === 'plugin')).toEqual([]);
  });
});

describe('CommonJS and ES module runners', () => {
  it.each([
    ['module.exports = object', 'module.exports = { onProcess(d) { return d * 2; } };'],
    ['exports.onX', 'exports.onProcess = (d) => d * 2;'],
    [
      'module.exports = class instance',
      'class P { constructor() { this.k = 2; } onProcess(d) { return d * this.k; } }\nmodule.exports = new P();',
    ],
    ['"use strict" CommonJS', '"use strict";\nmodule.exports = { onProcess(d) { return d * 2; } };'],
    ['export default', 'export default { onProcess(d) { return d * 2; } };'],
    ['named exports', 'export function onProcess(d) { return d * 2; }'],
    [
      'CommonJS mentioning export in a comment',
      '// we export the plugin below\nmodule.exports = { onProcess: (d) => d * 2 };',
    ],
  ])('%s', async (_, code) => {
    const id = await loaded(inlinePlugin(code, { permissions: ['process:data'] }));
    expect(await runtime.process(id, 21)).toBe(42);
    await runtime.stop(id);
  });

  it('calls class methods with this bound to the instance, across hooks, and keeps state', async () => {
    const code = `class Counter {
        constructor() { this.count = 0; }
        onInit(context) { this.context = context; return { status: 'ready', key: context.plugin.key }; }
        onProcess(data) { this.count += data.length; return this.count; }
        onMessage(message) { return { count: this.count, same: this.context.installationId }; }
      }
      module.exports = new Counter();`;
    const spec = inlinePlugin(code, { permissions: ['process:data', 'messages:receive'] });
    const id = await loaded(spec);
    expect(runtime.status(id)!.initResult).toEqual({ status: 'ready', key: spec.pluginKey });
    expect(await runtime.process(id, [1, 2, 3])).toBe(3);
    expect(await runtime.process(id, [4])).toBe(4);
    expect(await runtime.message(id, { type: 'x' })).toEqual({ count: 4, same: id });
    await runtime.stop(id);
  });

  it("uses the manifest's hooks map to find each step's function", async () => {
    const code = `module.exports = {
        start() { return 'started'; }, crunch(d) { return d.map((x) => x + 1); }, finish() { return 'bye'; },
        onProcess() { return 'the default name is not used'; },
      };`;
    const spec = inlinePlugin(code, {
      permissions: ['process:data'],
      manifest: { hooks: { init: 'start', process: 'crunch', cleanup: 'finish' } },
    });
    const id = await loaded(spec);
    expect(runtime.status(id)!.initResult).toBe('started');
    expect(await runtime.process(id, [1, 2])).toEqual([2, 3]);
    expect(await runtime.stop(id)).toEqual({ cleanupResult: 'bye' });
  });

  it('runs a manifest that has main and no runtime', async () => {
    const spec = inlinePlugin('module.exports = { onProcess: () => "main" };', { permissions: ['process:data'] });
    const { runtime: _runtime, ...rest } = spec.manifest;
    const id = await loaded({ ...spec, manifest: { ...rest, main: 'index.js' } });
    expect(await runtime.process(id, null)).toBe('main');
    await runtime.stop(id);
  });

  it('has no require: a runner that needs a module fails at startup', async () => {
    const spec = inlinePlugin('const fs = require("fs"); module.exports = {};');
    const error = await failure(runtime.load(spec));
    expect(error.code).toBe('PLUGIN_STARTUP_FAILED');
    expect(runtime.status(spec.installationId)).toMatchObject({ state: 'failed' });
  });
});

describe('onProcess', () => {
  it('needs process:data or messages:receive; neither is PLUGIN_PERMISSION_DENIED', async () => {
    const code = 'module.exports = { onProcess: (d) => d };';
    for (const grant of ['process:data', 'messages:receive'] as const) {
      const id = await loaded(inlinePlugin(code, { permissions: [grant] }));
      expect(await runtime.process(id, 'x')).toBe('x');
      await runtime.stop(id);
    }
    const id = await loaded(inlinePlugin(code, { permissions: ['process:data', 'log'], grants: ['log'] }));
    const error = await failure(runtime.process(id, 'x'));
    expect(error).toMatchObject({ code: 'PLUGIN_PERMISSION_DENIED', details: { reason: 'not_granted' } });
    expect(observer.callsOf(id).filter((c) => c.hook === 'onProcess')).toEqual([]);
    await runtime.stop(id);
  });

  it('is counted and timed like every hook; a thrown error is PLUGIN_ERROR, a missing hook says so', async () => {
    const id = await loaded(
      inlinePlugin('module.exports = { onProcess(d) { if (d === "bad") throw new TypeError("no"); return d; } };', {
        permissions: ['process:data'],
      }),
    );
    await runtime.process(id, 1);
    expect((await failure(runtime.process(id, 'bad'))).code).toBe('PLUGIN_ERROR');
    const calls = observer.callsOf(id).filter((c) => c.hook === 'onProcess');
    expect(calls.map((c) => c.outcome)).toEqual(['ok', 'error']);
    expect(calls.every((c) => c.durationMs >= 0 && c.cpuMs !== undefined)).toBe(true);
    expect(runtime.status(id)).toMatchObject({ calls: 3, errors: 1 });
    await runtime.stop(id);

    const none = await loaded(inlinePlugin('module.exports = { onInit() {} };', { permissions: ['process:data'] }));
    expect(await failure(runtime.process(none, 1))).toMatchObject({
      code: 'PLUGIN_ERROR',
      details: { reason: 'hook_missing' },
    });
    await runtime.stop(none);
  });

  it('takes a shorter timeout per call, never a longer one', async () => {
    const id = await loaded(
      inlinePlugin(
        'module.exports = { onProcess(ms) { const end = Date.now() + ms; while (Date.now() < end); return ms; } };',
        {
          permissions: ['process:data'],
          limits: { timeout_ms: 3000 },
        },
      ),
    );
    expect((await failure(runtime.process(id, 2000, { timeoutMs: 100 }))).code).toBe('PLUGIN_TIMEOUT');
    expect(await runtime.process(id, 1, { timeoutMs: 10_000_000 })).toBe(1);
    await runtime.stop(id);
  });
});

describe('onRequest', () => {
  const ECHO = `module.exports = {
    onRequest(req) {
      if (req.path === 'answer') return req.body;
      return { status: 201, headers: { 'Content-Type': 'application/json', 'x-echo': 'yes' }, body: req };
    },
  };`;
  const endpoints: EndpointDeclaration[] = [
    { path: 'users/:id', methods: ['GET', 'POST'], description: 'echo' },
    { path: 'answer', methods: ['POST'], description: 'returns the body as the response' },
  ];
  const serving = (code: string) => inlinePlugin(code, { permissions: ['endpoints:serve'], manifest: { endpoints } });

  it('hands over method, path, params, query, headers without credentials, body and user', async () => {
    const id = await loaded(serving(ECHO));
    const response = await runtime.request(id, {
      method: 'post',
      path: 'users/ada%20lovelace',
      query: { q: 'x', tags: ['a', 'b'] },
      headers: {
        Authorization: 'Bearer secret',
        cookie: 'session=secret',
        connection: 'keep-alive',
        'x-plughub-signature': 'forged',
        'Content-Type': 'application/json',
        accept: ['application/json', 'text/plain'],
      },
      body: { hello: 'world' },
      user: { id: 'u1', name: 'Ada', roles: ['admin'] },
    });
    expect(response).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json', 'x-echo': 'yes' },
      body: {
        method: 'POST',
        path: 'users/ada%20lovelace',
        params: { id: 'ada lovelace' },
        query: { q: 'x', tags: ['a', 'b'] },
        headers: { 'content-type': 'application/json', accept: 'application/json, text/plain' },
        body: { hello: 'world' },
        user: { id: 'u1', name: 'Ada', roles: ['admin'] },
      },
    });
    expect(observer.callsOf(id).at(-1)).toMatchObject({ hook: 'onRequest', outcome: 'ok' });
    await runtime.stop(id);
  });

  it('routes only declared paths and methods', async () => {
    const id = await loaded(serving(ECHO));
    expect(await failure(runtime.request(id, { method: 'GET', path: 'nope' }))).toMatchObject({
      code: 'ENDPOINT_NOT_FOUND',
      apiCode: 'NOT_FOUND',
    });
    expect(await failure(runtime.request(id, { method: 'DELETE', path: 'users/1' }))).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      apiCode: 'METHOD_NOT_ALLOWED',
    });
    await runtime.stop(id);
  });

  it('needs endpoints:serve', async () => {
    const spec = inlinePlugin(ECHO, { permissions: ['endpoints:serve'], grants: [], manifest: { endpoints } });
    const id = await loaded(spec);
    expect(await failure(runtime.request(id, { method: 'GET', path: 'users/1' }))).toMatchObject({
      code: 'PLUGIN_PERMISSION_DENIED',
    });
    await runtime.stop(id);
  });

  it.each([
    ['status 700', { status: 700 }, 'invalid_status'],
    ['status 200.5', { status: 200.5 }, 'invalid_status'],
    ['Set-Cookie', { headers: { 'Set-Cookie': 'a=b' } }, 'header_not_allowed'],
    ['a hop-by-hop header', { headers: { connection: 'close' } }, 'header_not_allowed'],
    ['transfer-encoding', { headers: { 'transfer-encoding': 'chunked' } }, 'header_not_allowed'],
    ['a platform header', { headers: { 'x-plughub-installation': 'other' } }, 'header_not_allowed'],
    ['CORS', { headers: { 'access-control-allow-origin': '*' } }, 'header_not_allowed'],
    ['a header with a line break', { headers: { 'x-a': 'b\r\nset-cookie: c=d' } }, 'invalid_header'],
    ['a non-string header', { headers: { 'x-a': 1 } }, 'invalid_header'],
    ['the same header twice', { headers: { 'x-a': '1', 'X-A': '2' } }, 'invalid_header'],
    [
      'too many headers',
      { headers: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-h${i}`, '1'])) },
      'too_many_headers',
    ],
    ['too much header text', { headers: { 'x-big': 'v'.repeat(9000) } }, 'headers_too_large'],
    ['an unknown field', { status: 200, cookies: ['a'] }, 'invalid_response'],
    ['an array', [200], 'invalid_response'],
  ])('refuses an answer with %s as PLUGIN_ERROR', async (_, answer, reason) => {
    const id = await loaded(serving(ECHO));
    const error = await failure(runtime.request(id, { method: 'POST', path: 'answer', body: answer }));
    expect(error).toMatchObject({ code: 'PLUGIN_ERROR', details: { reason } });
    await runtime.stop(id);
  });

  it('refuses an over-size body and a missing answer, and defaults status to 200', async () => {
    const code = `module.exports = { onRequest(req) {
      if (req.params.id === 'big') return { body: 'x'.repeat(2 * 1024 * 1024) };
      if (req.params.id === 'none') return undefined;
      return { body: 'plain text' };
    } };`;
    const id = await loaded(serving(code));
    const ask = (user: string) => runtime.request(id, { method: 'GET', path: `users/${user}` });
    expect(await ask('ok')).toEqual({ status: 200, headers: {}, body: 'plain text' });
    expect(await failure(ask('big'))).toMatchObject({ code: 'LIMIT_EXCEEDED', details: { reason: 'reply_too_large' } });
    expect(await failure(ask('none'))).toMatchObject({ code: 'PLUGIN_ERROR', details: { reason: 'invalid_response' } });
    await runtime.stop(id);

    // A body within the reply bound but over the response bound is the response check's.
    const small = new PluginRuntime({ workers: 1, responses: { maxBodyBytes: 1000 } });
    const spec = serving('module.exports = { onRequest: () => ({ body: "y".repeat(5000) }) };');
    await small.load(spec);
    expect(await failure(small.request(spec.installationId, { method: 'GET', path: 'users/1' }))).toMatchObject({
      code: 'PLUGIN_ERROR',
      details: { reason: 'body_too_large' },
    });
    await small.close();
  });
});

describe('lifecycle results and context.grants', () => {
  it('keeps a small onInit result, drops a huge one, and reports a failing onCleanup', async () => {
    const code = `module.exports = {
      onInit(c) { return c.config.big ? { blob: 'z'.repeat(100000) } : { ready: true }; },
      onCleanup() { throw new Error('cleanup failed'); },
    };`;
    const small = await loaded(inlinePlugin(code, { permissions: ['config:read'] }));
    expect(runtime.status(small)!.initResult).toEqual({ ready: true });
    expect(await runtime.stop(small)).toMatchObject({ cleanupError: { code: 'PLUGIN_ERROR' } });

    const big = await loaded(inlinePlugin(code, { permissions: ['config:read'], config: { big: true } }));
    expect(runtime.status(big)!.initResult).toBeUndefined();
    await runtime.stop(big);
  });

  it('shows the effective grants, custom scopes included, frozen, and current after reconfigure', async () => {
    const code = `let ctx; module.exports = {
      onInit(c) { ctx = c; },
      onMessage() {
        let mutated = true;
        try { ctx.grants.push('admin:*'); } catch (e) { mutated = false; }
        return { grants: ctx.grants, frozen: Object.isFrozen(ctx.grants), mutated };
      },
    };`;
    const spec = inlinePlugin(code, {
      permissions: [
        'messages:receive',
        'log',
        'users:read',
        'auth:*',
        { capability: 'http:external', hosts: ['a.example.com'] },
      ],
      grants: ['messages:receive', 'users:read', { capability: 'http:external', hosts: ['a.example.com'] }, 'admin:*'],
    });
    const id = await loaded(spec);
    expect(await runtime.message(id, { type: 'x' })).toEqual({
      grants: ['messages:receive', 'users:read', 'http:external'],
      frozen: true,
      mutated: false,
    });
    await runtime.reconfigure(id, { grants: ['messages:receive', 'auth:*'] });
    expect(await runtime.message(id, { type: 'x' })).toMatchObject({ grants: ['messages:receive', 'auth:*'] });
    expect(runtime.status(id)!.grants).toEqual(['messages:receive', 'auth:*']);
    await runtime.stop(id);
  });
});
