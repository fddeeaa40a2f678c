import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlughubClient } from '@app/client';
import { EmbeddedMongoServer } from '@app/embedded-mongo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocumentsAt } from './support/raw-db.js';
import { type ServerProcess, startServerProcess } from './support/server-process.js';

/**
 * The kill switch across two API nodes (issue 15): two real server processes (the sources through SWC,
 * scripts/swc-register.mjs) on one database, an embedded engine in this process. No NATS_URL, so each node's bus
 * is its own: what node B learns of a kill pulled on node A it learns from the database, through its KillWatcher.
 * The plugin runs on B; the kill is posted to A; the test measures until B refuses it with PLUGIN_KILLED and no
 * longer runs it. Then A dies (SIGKILL, fault point `kill.flagged`) right after setting the flag of a second kill,
 * before marking any installation: B alone must converge the installations to `killed` and stop its instance.
 */

// The admin's handle (from the address) is `nodes`: the plugin keys below are under it.
const ADMIN = { email: 'nodes@nodes.test', password: 'admin-password-1' };
const BOOT_MS = 300_000;
const STEP_MS = 120_000;
/** The issue's figure for the kill reaching another node, reported beside each measurement. */
const ISSUE_MS = 1000;
/**
 * What the test holds it to: ten times the issue's figure, because the verdict must not hang on a loaded machine
 * (on an idle one the watcher's 500 ms interval plus one query is the whole of it; see the figures it prints).
 */
const BOUND_MS = 10 * ISSUE_MS;

type Node = ServerProcess;

let mongo: EmbeddedMongoServer;
let uri: string;
let dataDir: string;
let a: Node;
let b: Node;
/** Every process started, also one that never got to listen: none outlives the file. */
const children: ChildProcess[] = [];

function boot(name: string, fault?: string): Promise<Node> {
  return startServerProcess({
    name: `node ${name}`,
    admin: ADMIN,
    env: {
      MONGODB_URI: uri,
      PLUGHUB_DATA_DIR: join(dataDir, name),
      PLUGHUB_JWT_SECRET: 'nodes-secret-nodes-secret-nodes-secret-42',
      PLUGHUB_NODE_NAME: `plughub-api@${name}`,
      ...(fault ? { PLUGHUB_TEST_FAULT_POINT: fault } : {}),
    },
    spawned: (child) => children.push(child),
  });
}

const path = (key: string) => ({ params: { path: { plugin: key } } });

async function publish(client: PlughubClient, key: string): Promise<void> {
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
        permissions: ['messages:receive'],
      },
      files: { runner: 'export default { onMessage(m) { return { echo: m.type }; } };\n' },
      scope: 'public',
    } as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
}

/** Installs `key` through B, so B runs it; A does not. */
async function installOnB(key: string): Promise<string> {
  const res = await b.client.POST('/api/plugins/{plugin}/install/', { ...path(key), body: {} });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
  const id = res.data!.installation!.id;
  const onB = await b.client.GET('/api/installations/{id}/', { params: { path: { id } } });
  expect([onB.data!.status, onB.data!.runtime_state]).toEqual(['active', 'ready']);
  const onA = await a.client.GET('/api/installations/{id}/', { params: { path: { id } } });
  expect(onA.data!.runtime_state).toBeNull();
  return id;
}

const message = (key: string) =>
  b.client.POST('/api/plugins/{plugin}/message/', { ...path(key), body: { target_plugin: key, message_type: 'ping' } });

interface Reached {
  /** ms after the kill was sent at which B first refused a message with PLUGIN_KILLED. */
  refused: number;
  /** ms after the kill was sent at which B no longer ran the instance. */
  stopped: number;
}

/** Watches B from `sent` until it refuses `key` with PLUGIN_KILLED and no longer runs `id`. */
async function watchB(key: string, id: string, sent: number): Promise<Reached> {
  const deadline = sent + STEP_MS / 2;
  const refusal = (async () => {
    while (Date.now() < deadline) {
      const res = await message(key);
      if (res.error?.code === 'PLUGIN_KILLED') return Date.now() - sent;
      // Stopped, not yet marked killed (the instance is stopped first, then the installation is written).
      const between = res.error?.code === 'CONFLICT' && res.error.details?.reason === 'not_running';
      if (res.response.status !== 200 && !between) throw new Error(`B answered ${JSON.stringify(res.error)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('B never refused the killed plugin');
  })();
  const stop = (async () => {
    while (Date.now() < deadline) {
      const { data } = await b.client.GET('/api/installations/{id}/', { params: { path: { id } } });
      if (data!.runtime_state !== 'ready') return Date.now() - sent;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('B never stopped the killed plugin');
  })();
  const [refused, stopped] = await Promise.all([refusal, stop]);
  return { refused, stopped };
}

/** When the flag was set, by the clock of the node that set it (this machine's). */
async function flaggedAt(key: string): Promise<number> {
  const [doc] = await rawDocumentsAt(uri, 'plugins', { key });
  return (doc.kill_changed_at as Date).getTime();
}

/** When B stopped the instance, by B's own clock: its audit entry `plugin.kill_applied` (written soon after). */
async function appliedAt(id: string): Promise<number> {
  const deadline = Date.now() + STEP_MS / 2;
  while (Date.now() < deadline) {
    const [entry] = await rawDocumentsAt(uri, 'audit_entries', { action: 'plugin.kill_applied', 'target.id': id });
    if (entry) return (entry.at as Date).getTime();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('B recorded no kill_applied entry');
}

/** Prints the figures and holds them to the bound: from the flag being set to B stopping the instance. */
async function report(what: string, key: string, id: string, sent: number, reached: Reached): Promise<void> {
  const flag = await flaggedAt(key);
  const applied = (await appliedAt(id)) - flag;
  const seen = { refused: reached.refused + sent - flag, stopped: reached.stopped + sent - flag };
  console.log(
    `${what}: B stopped its instance ${applied} ms after the flag was set (B's clock); seen from outside, B ` +
      `refused with PLUGIN_KILLED at +${seen.refused} ms and reported it stopped at +${seen.stopped} ms; the flag ` +
      `was set ${flag - sent} ms after the request was sent; issue figure ${ISSUE_MS} ms ` +
      `(${applied < ISSUE_MS ? 'met' : 'missed'}); load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  expect(applied).toBeGreaterThanOrEqual(0);
  expect(applied).toBeLessThan(BOUND_MS);
  expect(seen.refused).toBeLessThan(BOUND_MS);
  expect(seen.stopped).toBeLessThan(BOUND_MS);
}

beforeAll(async () => {
  mongo = await EmbeddedMongoServer.start({ dataDir: null });
  uri = mongo.uri.replace('/?', '/plughub_nodes?');
  dataDir = mkdtempSync(join(tmpdir(), 'plughub-nodes-'));
  // A first, alone: it creates the admin and the indexes; B then starts on a database that is ready.
  a = await boot('a', 'kill.flagged#2');
  b = await boot('b');
}, BOOT_MS);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  }
  await mongo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, BOOT_MS);

describe('the kill switch across two API nodes, no bus between them', () => {
  it(
    "a kill posted to node A reaches node B, measured against the issue's one second",
    { timeout: STEP_MS },
    async () => {
      await publish(a.client, 'nodes.first');
      const id = await installOnB('nodes.first');
      expect((await message('nodes.first')).data).toMatchObject({ response: { status: 'success' } });

      const sent = Date.now();
      const [killed, reached] = await Promise.all([
        a.client.POST('/api/admin/plugins/{plugin}/kill/', { ...path('nodes.first'), body: { reason: 'Exfiltrates' } }),
        watchB('nodes.first', id, sent),
      ]);
      expect(killed.response.status, JSON.stringify(killed.error)).toBe(200);
      await report('kill posted to A', 'nodes.first', id, sent, reached);
      const onB = await b.client.GET('/api/installations/{id}/', { params: { path: { id } } });
      expect([onB.data!.status, onB.data!.runtime_state]).toEqual(['killed', null]);
      const refused = await message('nodes.first');
      expect(refused.error).toMatchObject({ code: 'PLUGIN_KILLED', details: { reason: 'plugin_killed' } });
    },
  );

  it('revived through B: disabled on both nodes, running on neither', { timeout: STEP_MS }, async () => {
    const res = await b.client.DELETE('/api/admin/plugins/{plugin}/kill/', {
      ...path('nodes.first'),
      body: { reason: 'Fixed' },
    });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    for (const node of [a, b]) {
      const { data } = await node.client.GET('/api/installations/', { params: { query: { plugin: 'nodes.first' } } });
      expect(data!.results.map((i) => [i.status, i.runtime_state])).toEqual([['disabled', null]]);
    }
  });

  it(
    'node A dying right after setting the flag: B alone marks the installations killed and stops its instance',
    { timeout: STEP_MS },
    async () => {
      await publish(a.client, 'nodes.second');
      const id = await installOnB('nodes.second');
      const sent = Date.now();
      const [dead, reached] = await Promise.all([
        a.client
          .POST('/api/admin/plugins/{plugin}/kill/', { ...path('nodes.second'), body: { reason: 'Mines coins' } })
          .then(
            () => 'answered',
            () => 'connection lost',
          ),
        watchB('nodes.second', id, sent),
      ]);
      expect(dead).toBe('connection lost');
      expect(await a.exited).toBe('SIGKILL');
      await report('kill flagged by A, which died then', 'nodes.second', id, sent, reached);
      const [stored] = await rawDocumentsAt(uri, 'installations', { plugin_key: 'nodes.second' });
      expect([stored.status, stored.enabled, stored.status_reason]).toEqual(['killed', false, 'Mines coins']);
    },
  );
});
