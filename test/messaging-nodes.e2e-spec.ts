import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlughubClient } from '@app/client';
import { EmbeddedMongoServer } from '@app/embedded-mongo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer, NatsTestServer } from '../apps/api/src/messaging/bus/nats-test-server.js';
import { type ServerProcess, startServerProcess, startupLoadDone } from './support/server-process.js';

/**
 * Two API nodes (issue 14's multi-node test): real server processes (the sources through SWC, as in
 * installation-crash.e2e-spec.ts) on different ports, sharing one database (an embedded engine in this process)
 * and one nats-server. Node B hosts the plugins installed through it (it holds their leases); a message sent to
 * node A reaches them over NATS, and an event one of them emits on B reaches a subscriber hosted on A. B is then
 * killed with SIGKILL: a message to its plugins gets a clear error within its timeout, and once B's leases expire
 * (a short lease here) A takes its installations over (an audit entry of the system) and the same message works.
 */

// The admin's handle (from the address) is `nodes`: the plugin keys below are under it.
const ADMIN = { email: 'nodes@nodes.test', password: 'admin-password-1' };
const LEASE_MS = 6000;
const BOOT_MS = 240_000;
const STEP_MS = 120_000;

interface Node extends ServerProcess {
  name: string;
}

const ECHO = `
  export default {
    onMessage(m) { return { type: m.type, data: m.data }; },
    onRequest(req) { return { status: 201, body: { path: req.path, params: req.params } }; },
    onProcess(data) { return data.map((n) => n * 2); },
  };\n`;
const EMITTER = `
  let ctx;
  export default {
    onInit(context) { ctx = context; },
    onMessage(m) { ctx.events.emit('orders.created', { n: m.data.n }); return true; },
  };\n`;
const SINK = `
  const seen = [];
  export default {
    onEvent(e) { seen.push({ id: e.id, type: e.type, data: e.data }); },
    onMessage() { return seen; },
  };\n`;

const natsBinary = findNatsServer();

describe.skipIf(!natsBinary && !process.env.CI)('two API nodes on one database and one NATS', () => {
  let nats: NatsTestServer;
  let mongo: EmbeddedMongoServer;
  let uri: string;
  let dataDir: string;
  const nodes: Node[] = [];
  let a: Node;
  let b: Node;

  async function boot(name: string): Promise<Node> {
    const server = await startServerProcess({
      name: `node ${name}`,
      admin: ADMIN,
      env: {
        MONGODB_URI: uri,
        NATS_URL: nats.url,
        PLUGHUB_NODE_NAME: `node-${name}`,
        PLUGHUB_LEASE_TTL_MS: String(LEASE_MS),
        PLUGHUB_DATA_DIR: dataDir,
        PLUGHUB_JWT_SECRET: 'nodes-secret-nodes-secret-nodes-secret-42',
      },
    });
    await startupLoadDone(server.client);
    const node = { name, ...server };
    nodes.push(node);
    return node;
  }

  async function publish(
    client: PlughubClient,
    key: string,
    runner: string,
    permissions: string[],
    events = {},
    endpoints: unknown[] = [],
  ) {
    const res = await client.POST('/api/plugins/', {
      body: {
        manifest: {
          key,
          name: `Plugin ${key}`,
          version: '1.0.0',
          description: `Does ${key} things`,
          author: 'Nodes Test',
          license: 'MIT',
          runtime: { type: 'sandbox', entry: 'runner.js' },
          permissions: ['messages:receive', ...permissions],
          events,
          ...(endpoints.length ? { endpoints } : {}),
        },
        files: { runner },
        scope: 'public',
      } as never,
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  }

  async function install(client: PlughubClient, key: string): Promise<void> {
    const res = await client.POST('/api/plugins/{plugin}/install/', { params: { path: { plugin: key } }, body: {} });
    expect(res.response.status, JSON.stringify(res.error)).toBe(201);
    expect(res.data!.installation!.status).toBe('active');
  }

  const message = (client: PlughubClient, plugin: string, data: Record<string, unknown>, timeoutSeconds = 10) =>
    client.POST('/api/plugins/{plugin}/message/', {
      params: { path: { plugin } },
      body: { target_plugin: plugin, message_type: 'ping', data, timeout_seconds: timeoutSeconds } as never,
    });

  /** Where each installation runs, as a node sees it: its own runtime's state, null when it runs elsewhere. */
  async function runtimeStates(node: Node): Promise<Record<string, string | null>> {
    const res = await node.client.GET('/api/installations/', { params: { query: { limit: 100 } } });
    return Object.fromEntries(res.data!.results.map((i) => [i.plugin, i.runtime_state]));
  }

  async function eventually<T>(what: string, check: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found !== null) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    nats = await NatsTestServer.start();
    mongo = await EmbeddedMongoServer.start({ dataDir: null });
    uri = mongo.uri.replace('/?', '/plughub_nodes?');
    dataDir = mkdtempSync(join(tmpdir(), 'plughub-nodes-'));
    // B first: it seeds the admin, and what is installed through it runs on it.
    b = await boot('b');
    await publish(b.client, 'nodes.echo', ECHO, ['endpoints:serve', 'process:data'], {}, [
      { path: 'items/:id', methods: ['GET'], description: 'An item' },
    ]);
    await publish(b.client, 'nodes.emitter', EMITTER, ['events:emit'], { emits: [{ type: 'orders.created' }] });
    await publish(b.client, 'nodes.sink', SINK, ['events:subscribe'], { subscribes: [{ type: 'orders.*' }] });
    await install(b.client, 'nodes.echo');
    await install(b.client, 'nodes.emitter');
    a = await boot('a');
    await install(a.client, 'nodes.sink');
  }, BOOT_MS * 2);

  afterAll(async () => {
    for (const node of nodes) {
      node.child.kill('SIGKILL');
      await node.exited;
    }
    await mongo?.stop();
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, BOOT_MS);

  it('hosts each installation on the node that took its lease: A skipped B’s at its start', async () => {
    expect(await runtimeStates(b)).toEqual({ 'nodes.echo': 'ready', 'nodes.emitter': 'ready', 'nodes.sink': null });
    expect(await runtimeStates(a)).toEqual({ 'nodes.echo': null, 'nodes.emitter': null, 'nodes.sink': 'ready' });
    for (const node of [a, b]) {
      const ready = await node.client.GET('/api/health/ready/', {});
      expect([ready.data?.checks.bus?.adapter, ready.data?.checks.bus?.state]).toEqual(['nats', 'connected']);
    }
  });

  it('delivers a message sent to node A to the plugin hosted on node B', { timeout: STEP_MS }, async () => {
    const res = await message(a.client, 'nodes.echo', { n: 1 });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.response).toEqual({ status: 'success', data: { type: 'ping', data: { n: 1 } }, error: null });
  });

  it('serves a plugin endpoint and Execute through node A from node B', { timeout: STEP_MS }, async () => {
    const endpoint = await a.client.GET('/api/plugins/{plugin}/endpoints/{path}/', {
      params: { path: { plugin: 'nodes.echo', path: 'items/42' } } as never,
    });
    expect(endpoint.response.status, JSON.stringify(endpoint.error)).toBe(201);
    expect(endpoint.data).toEqual({ path: 'items/42', params: { id: '42' } });
    const executed = await a.client.POST('/api/plugins/{plugin}/execute/', {
      params: { path: { plugin: 'nodes.echo' } },
      body: { data: [1, 2, 3], timeout_seconds: 10 },
    });
    expect(executed.response.status, JSON.stringify(executed.error)).toBe(200);
    expect(executed.data!.result).toEqual([2, 4, 6]);
  });

  it('delivers an event emitted on node B to the subscriber on node A', { timeout: STEP_MS }, async () => {
    const emitted = await message(a.client, 'nodes.emitter', { n: 7 });
    expect(emitted.data?.response.status, JSON.stringify(emitted.error)).toBe('success');
    const seen = await eventually('the sink on A received the event', async () => {
      const res = await message(a.client, 'nodes.sink', {});
      const events = res.data?.response.data as Array<{ id: string; type: string; data: unknown }> | undefined;
      return events?.length ? events : null;
    });
    expect(seen.map((e) => [e.type, e.data])).toEqual([['orders.created', { n: 7 }]]);
    const listed = await a.client.GET('/api/events/', { params: { query: { type: 'orders.created' } } });
    expect(listed.data!.results.map((e) => [e.id, e.source.plugin])).toEqual([[seen[0].id, 'nodes.emitter']]);
  });

  it('answers a clear error within the timeout while B is dead and its leases live', { timeout: STEP_MS }, async () => {
    b.child.kill('SIGKILL');
    expect(await b.exited).toBe('SIGKILL');
    const res = await message(a.client, 'nodes.echo', { n: 2 }, 5);
    // Nobody serves its subject any more (409 not_running), or, if the server had not dropped B's subscription
    // yet, nobody answered in the 5 s (408): either way an error, never a hang.
    const answer = [res.response.status, res.error?.code, (res.error?.details as { reason?: string })?.reason];
    expect([
      [409, 'CONFLICT', 'not_running'],
      [408, 'PLUGIN_COMMUNICATION_TIMEOUT', 'timeout'],
    ]).toContainEqual(answer);
  });

  it(
    'takes B’s installations over once their leases expire, and the same message works',
    { timeout: STEP_MS },
    async () => {
      const res = await eventually('A answered for nodes.echo', async () => {
        const r = await message(a.client, 'nodes.echo', { n: 3 }, 5);
        return r.response.status === 200 ? r : null;
      });
      expect(res.data!.response).toEqual({ status: 'success', data: { type: 'ping', data: { n: 3 } }, error: null });
      // The take-over loads B's installations one after the other: all of them, in the end.
      const states = await eventually('A runs all three', async () => {
        const now = await runtimeStates(a);
        return Object.values(now).every((s) => s === 'ready') ? now : null;
      });
      expect(Object.keys(states).sort()).toEqual(['nodes.echo', 'nodes.emitter', 'nodes.sink']);
      const audit = await a.client.GET('/api/admin/audit/', {
        params: { query: { action: 'installation.lease_taken_over' } },
      });
      expect(audit.response.status, JSON.stringify(audit.error)).toBe(200);
      const entries = audit.data!.results.map((e) => [
        e.actor.kind,
        e.actor.component,
        (e.details as { target_key?: string }).target_key,
        e.outcome,
      ]);
      expect(entries.sort()).toEqual([
        ['system', 'messaging.leases', 'nodes.echo', 'success'],
        ['system', 'messaging.leases', 'nodes.emitter', 'success'],
      ]);
    },
  );
});
