import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PluginRuntime } from '../plugin-runtime.js';
import { RuntimeError } from '../runtime-error.js';
import type { LoadSpec } from '../runtime.types.js';
import { RecordingObserver } from '../testing.js';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  signRemoteRequest,
  TIMESTAMP_HEADER,
  verifyRemoteSignature,
} from './remote-signature.js';

const SECRET = 'test-shared-secret';

interface Received {
  path: string;
  body: {
    hook: string;
    installation_id: string;
    payload: { type?: string; data?: unknown; config?: Record<string, unknown> } | null;
  };
  delivery: string;
}

let server: FastifyInstance;
let baseUrl: string;
let received: Received[] = [];
/** Per-path scripted failures: each entry is consumed by one request. */
let failures: Record<string, number[]> = {};

beforeAll(async () => {
  server = Fastify({ forceCloseConnections: true });
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // A remote plugin: verifies the signature over the raw body, then answers per hook.
  server.post('/plugin/:hook', async (request, reply) => {
    const raw = request.body as string;
    const ok = verifyRemoteSignature(
      SECRET,
      request.headers[TIMESTAMP_HEADER] as string | undefined,
      request.headers[SIGNATURE_HEADER] as string | undefined,
      raw,
    );
    if (!ok) return reply.code(401).send({ error: 'bad signature' });
    const path = `/${(request.params as { hook: string }).hook}`;
    const body = JSON.parse(raw) as Received['body'];
    received.push({ path, body, delivery: request.headers[DELIVERY_HEADER] as string });
    const failure = failures[path]?.shift();
    if (failure) return reply.code(failure).send({ error: 'scripted failure' });
    switch (path) {
      case '/message':
        if (body.payload?.type === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
        return { echo: body.payload?.data, type: body.payload?.type };
      case '/health':
        return [{ name: 'remote', status: 'pass' }];
      default:
        return reply.code(204).send();
    }
  });
  baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(() => server.close());

beforeEach(() => {
  received = [];
  failures = {};
});

/**
 * The remote plugins' timeout_ms, and how long the slow answer takes: several times more, so that a call on a
 * loaded machine has ample time before its deadline and the slow one can only time out.
 */
const TIMEOUT_MS = 2_000;
const SLOW_MS = 10_000;

function remoteSpec(entryPoint: string, secret = SECRET, id = `remote-${Math.random()}`): LoadSpec {
  return {
    installationId: id,
    pluginKey: 'acme.remote',
    version: '2.0.0',
    manifest: {
      key: 'acme.remote',
      name: 'Remote',
      version: '2.0.0',
      description: 'remote test plugin',
      permissions: ['messages:receive', 'events:subscribe', 'config:read'],
      runtime: { type: 'remote', entry_point: entryPoint },
      limits: { timeout_ms: TIMEOUT_MS },
    },
    config: { region: 'eu' },
    secrets: { token: 'hidden' },
    grants: ['messages:receive', 'events:subscribe', 'config:read'],
    remoteSecret: secret,
  };
}

describe('remote plugins', () => {
  const observer = new RecordingObserver();
  const runtime = new PluginRuntime({ observer, remoteRetries: 3, remoteBackoffMs: 20 });
  afterAll(() => runtime.close());

  it('calls every hook as a signed POST and round-trips replies', async () => {
    const spec = remoteSpec(`${baseUrl}/plugin`);
    await runtime.load(spec);
    expect(received[0]).toMatchObject({
      path: '/init',
      body: {
        hook: 'onInit',
        installation_id: spec.installationId,
        payload: { config: { region: 'eu' }, plugin: { key: 'acme.remote', version: '2.0.0' } },
      },
    });
    expect(received[0].body.payload?.config?.token).toBeUndefined(); // no secrets:read

    expect(await runtime.message(spec.installationId, { type: 'greet', data: { name: 'Ada' } })).toEqual({
      echo: { name: 'Ada' },
      type: 'greet',
    });
    await runtime.event(spec.installationId, { type: 'user.login', data: { id: 1 } });
    const health = await runtime.health(spec.installationId);
    expect(health.status).toBe('healthy');
    expect(health.checks).toContainEqual({ name: 'remote', status: 'pass' });
    await runtime.stop(spec.installationId);

    expect(received.map((r) => r.path)).toEqual(['/init', '/message', '/event', '/health', '/cleanup']);
    expect(observer.callsOf(spec.installationId).map((c) => `${c.hook}:${c.outcome}`)).toEqual([
      'onInit:ok',
      'onMessage:ok',
      'onEvent:ok',
      'onHealth:ok',
      'onCleanup:ok',
    ]);
  });

  it('refuses to load a remote plugin without a signing secret', async () => {
    const error = (await runtime.load(remoteSpec(`${baseUrl}/plugin`, '')).catch((e: unknown) => e)) as RuntimeError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(received).toEqual([]);
  });

  it('is refused by the plugin when the signature is wrong, so the load fails', async () => {
    const spec = remoteSpec(`${baseUrl}/plugin`, 'wrong-secret');
    const error = (await runtime.load(spec).catch((e: unknown) => e)) as RuntimeError;
    expect(error.code).toBe('PLUGIN_STARTUP_FAILED');
    expect(error.message).toMatch(/answered 401/);
    expect(received).toEqual([]);
    expect(runtime.status(spec.installationId)?.state).toBe('failed');
  });

  it('retries health checks on 503 with the same delivery id, but never a message', async () => {
    const spec = remoteSpec(`${baseUrl}/plugin`);
    await runtime.load(spec);
    received = [];
    failures['/health'] = [503, 503];
    expect((await runtime.health(spec.installationId)).status).toBe('healthy');
    expect(received.map((r) => r.path)).toEqual(['/health', '/health', '/health']);
    expect(new Set(received.map((r) => r.delivery)).size).toBe(1);

    received = [];
    failures['/message'] = [503];
    const error = (await runtime.message(spec.installationId, { type: 'x' }).catch((e: unknown) => e)) as RuntimeError;
    expect(error.code).toBe('PLUGIN_UNREACHABLE');
    expect(received.map((r) => r.path)).toEqual(['/message']);
    await runtime.stop(spec.installationId);
  });

  it('times out a slow answer at timeout_ms without retrying it', async () => {
    const spec = remoteSpec(`${baseUrl}/plugin`);
    await runtime.load(spec);
    received = [];
    const started = Date.now();
    const error = (await runtime
      .message(spec.installationId, { type: 'slow' })
      .catch((e: unknown) => e)) as RuntimeError;
    expect(error.code).toBe('PLUGIN_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(SLOW_MS); // it gave up at its deadline instead of waiting
    expect(received).toHaveLength(1);
    expect(observer.callsOf(spec.installationId).at(-1)?.outcome).toBe('timeout');
    await runtime.stop(spec.installationId);
  });

  it('retries a refused connection with backoff, then reports the plugin unreachable', async () => {
    const closed = Fastify();
    const url = await closed.listen({ host: '127.0.0.1', port: 0 });
    await closed.close(); // nothing listens there any more
    const attempts: number[] = [];
    const counting = new PluginRuntime({
      remoteRetries: 3,
      remoteBackoffMs: 10,
      fetch: (input, init) => {
        attempts.push(Date.now());
        return fetch(input, init);
      },
    });
    const error = (await counting.load(remoteSpec(`${url}/plugin`)).catch((e: unknown) => e)) as RuntimeError;
    expect(error.code).toBe('PLUGIN_STARTUP_FAILED');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(attempts).toHaveLength(3);
    await counting.close();
  });
});

describe('request signatures', () => {
  const body = '{"hook":"onMessage"}';
  const now = Date.now();
  const ts = String(Math.floor(now / 1000));

  it('accepts the signature it produces', () => {
    const signature = signRemoteRequest(SECRET, ts, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyRemoteSignature(SECRET, ts, signature, body, { now })).toBe(true);
  });

  it.each([
    ['another secret', () => verifyRemoteSignature('other', ts, signRemoteRequest(SECRET, ts, body), body, { now })],
    [
      'a changed body',
      () => verifyRemoteSignature(SECRET, ts, signRemoteRequest(SECRET, ts, body), body + ' ', { now }),
    ],
    [
      'a changed timestamp',
      () => verifyRemoteSignature(SECRET, String(Number(ts) + 1), signRemoteRequest(SECRET, ts, body), body, { now }),
    ],
    [
      'a stale timestamp',
      () => verifyRemoteSignature(SECRET, ts, signRemoteRequest(SECRET, ts, body), body, { now: now + 301_000 }),
    ],
    ['a missing signature', () => verifyRemoteSignature(SECRET, ts, undefined, body, { now })],
    [
      'a truncated signature',
      () => verifyRemoteSignature(SECRET, ts, signRemoteRequest(SECRET, ts, body).slice(0, 20), body, { now }),
    ],
    [
      'a non-numeric timestamp',
      () => verifyRemoteSignature(SECRET, 'abc', signRemoteRequest(SECRET, 'abc', body), body, { now }),
    ],
  ])('rejects %s', (_, check) => {
    expect(check()).toBe(false);
  });
});
