import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlughubClient } from '@app/client';
import { EmbeddedMongoServer } from '@app/embedded-mongo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawDocumentsAt } from './support/raw-db.js';
import { type ServerProcess, startServerProcess, startupLoadDone } from './support/server-process.js';

/**
 * The operation journal's crash test (issue 10): a real server process is killed with SIGKILL at named points
 * (PLUGHUB_TEST_FAULT_POINT, fault-points.ts) while it installs a plugin with two levels of dependencies, updates
 * it and uninstalls it, and while it installs one without dependencies; the next process, on the same database, must leave every installation consistent (all of
 * an install or none of it, the old version running after an interrupted update) and the journal empty. Each
 * process checks what the previous one left and is then killed at the next point. The servers run the sources
 * through SWC (scripts/swc-register.mjs); the database is an embedded engine in this process, so it outlives them.
 */

// The admin's handle (from the address) is `crash`: the plugin keys below are under it.
const ADMIN = { email: 'crash@crash.test', password: 'admin-password-1' };
const KEYS = ['crash.base', 'crash.mid', 'crash.top'];
const BOOT_MS = 240_000;
const STEP_MS = 600_000;

type Node = ServerProcess;

let mongo: EmbeddedMongoServer;
let uri: string;
let dataDir: string;
let node: Node | null = null;

/** Starts a server on the shared database; with `fault`, it kills itself at that point. */
function boot(fault?: string): Promise<Node> {
  return startServerProcess({
    name: 'the server',
    admin: ADMIN,
    env: {
      MONGODB_URI: uri,
      PLUGHUB_DATA_DIR: dataDir,
      PLUGHUB_JWT_SECRET: 'crash-secret-crash-secret-crash-secret-42',
      ...(fault ? { PLUGHUB_TEST_FAULT_POINT: fault } : {}),
    },
  });
}

/** Sends the request that reaches the fault point: the connection dies with the process. */
async function crashDuring(request: () => Promise<unknown>): Promise<void> {
  const current = node!;
  await expect(request()).rejects.toThrow();
  expect(await current.exited).toBe('SIGKILL');
  node = null;
}

/** Boots the next server (killed at `fault` later) and waits until its start-up load is over. */
async function next(fault?: string): Promise<PlughubClient> {
  node = await boot(fault);
  // Recovery ran before the server listened; the start-up load runs meanwhile: wait for it, however long.
  await startupLoadDone(node.client);
  return node.client;
}

const mine = async (client: PlughubClient) => {
  const res = await client.GET('/api/installations/', { params: { query: { limit: 100 } } });
  return res.data!.results.filter((i) => i.plugin.startsWith('crash.'));
};

/** Nothing half-made: the journal is empty and no installation is held by an operation. */
async function expectNothingHalfMade(): Promise<void> {
  expect(await rawDocumentsAt(uri, 'installation_operations')).toEqual([]);
  expect(await rawDocumentsAt(uri, 'installations', { operation_id: { $ne: null } })).toEqual([]);
}

const runner = (version: string) =>
  `export default { onMessage() { return { version: ${JSON.stringify(version)} }; } };\n`;

async function publish(client: PlughubClient, key: string, version: string, dependencies: Record<string, string>) {
  const res = await client.POST('/api/plugins/', {
    body: {
      manifest: {
        key,
        name: `Plugin ${key}`,
        version,
        description: `Does ${key} things`,
        author: 'Crash Test',
        license: 'MIT',
        runtime: { type: 'sandbox', entry: 'runner.js' },
        permissions: ['log', 'messages:receive'],
        dependencies,
      },
      files: { runner: runner(version) },
      scope: 'public',
    } as never,
  });
  expect(res.response.status, JSON.stringify(res.error)).toBe(201);
}

const install = (client: PlughubClient) =>
  client.POST('/api/plugins/{plugin}/install/', { params: { path: { plugin: 'crash.top' } }, body: {} });
const installSolo = (client: PlughubClient) =>
  client.POST('/api/plugins/{plugin}/install/', { params: { path: { plugin: 'crash.solo' } }, body: {} });
const update = (client: PlughubClient) =>
  client.POST('/api/plugins/{plugin}/update/', { params: { path: { plugin: 'crash.top' } }, body: {} });

/** Every crash.* installation there is: none of them, or exactly these, each at its version and running. */
function expectInstalled(found: Awaited<ReturnType<typeof mine>>, versions: Record<string, string>): void {
  expect(Object.fromEntries(found.map((i) => [i.plugin, i.installed_version]))).toEqual(versions);
  for (const i of found) expect([i.plugin, i.status, i.runtime_state]).toEqual([i.plugin, 'active', 'ready']);
}

beforeAll(async () => {
  mongo = await EmbeddedMongoServer.start({ dataDir: null });
  uri = mongo.uri.replace('/?', '/plughub_crash?');
  dataDir = mkdtempSync(join(tmpdir(), 'plughub-crash-'));
}, BOOT_MS);

afterAll(async () => {
  if (node) {
    node.child.kill('SIGKILL');
    await node.exited;
  }
  await mongo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, BOOT_MS);

describe('a crash while installing a plugin with two levels of dependencies', () => {
  it('seeds three plugins (top → mid → base), then crashes writing the install', { timeout: STEP_MS }, async () => {
    const client = await next('install.step_written#2');
    await publish(client, 'crash.base', '1.0.0', {});
    await publish(client, 'crash.mid', '1.0.0', { 'crash.base': '^1.0.0' });
    await publish(client, 'crash.top', '1.0.0', { 'crash.mid': '^1.0.0' });
    await crashDuring(() => install(client));
  });

  it('after the second document was written: nothing of it is left', { timeout: STEP_MS }, async () => {
    const client = await next('install.activated#2');
    expectInstalled(await mine(client), {});
    await expectNothingHalfMade();
    const status = await client.GET('/api/plugins/status/');
    expect(
      status
        .data!.registry_errors.filter((e) => e.stage === 'recovery')
        .map((e) => e.name)
        .sort(),
    ).toEqual(KEYS);
    await crashDuring(() => install(client));
  });

  it('after two of the three were started: nothing of it is left', { timeout: STEP_MS }, async () => {
    const client = await next('install.committed');
    expectInstalled(await mine(client), {});
    await expectNothingHalfMade();
    await crashDuring(() => install(client));
  });

  it('after it was marked done: all of it is there, running', { timeout: STEP_MS }, async () => {
    const client = await next('update.applied');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0', 'crash.top': '1.0.0' });
    await expectNothingHalfMade();
    await publish(client, 'crash.top', '1.1.0', { 'crash.mid': '^1.0.0' });
    await crashDuring(() => update(client));
  });
});

describe('a crash while updating it', () => {
  it('once the new version was written, before it started: the old version runs', { timeout: STEP_MS }, async () => {
    const client = await next('update.activated');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0', 'crash.top': '1.0.0' });
    await expectNothingHalfMade();
    const backups = await client.GET('/api/plugins/{plugin}/backups/', { params: { path: { plugin: 'crash.top' } } });
    expect(backups.data!.count).toBe(0);
    await crashDuring(() => update(client));
  });

  it('once the new version started, before the commit: the old version runs', { timeout: STEP_MS }, async () => {
    const client = await next('update.committed');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0', 'crash.top': '1.0.0' });
    await expectNothingHalfMade();
    await crashDuring(() => update(client));
  });

  it('once it was marked done: the new version runs, with its backup', { timeout: STEP_MS }, async () => {
    const client = await next('uninstall.stopped');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0', 'crash.top': '1.1.0' });
    await expectNothingHalfMade();
    const backups = await client.GET('/api/plugins/{plugin}/backups/', { params: { path: { plugin: 'crash.top' } } });
    expect(backups.data!.results.map((b) => b.version)).toEqual(['1.0.0']);
    await crashDuring(() =>
      client.DELETE('/api/plugins/{plugin}/install/', { params: { path: { plugin: 'crash.top' } } }),
    );
  });
});

describe('a crash while uninstalling it', () => {
  it('once it was stopped: the uninstall is finished, its dependencies still run', { timeout: STEP_MS }, async () => {
    const client = await next('install.step_written');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0' });
    await expectNothingHalfMade();
    await publish(client, 'crash.solo', '1.0.0', {});
    await crashDuring(() => installSolo(client));
  });
});

// A one-step install (no dependencies) has no `done` phase: settling its installation also releases it, and that
// write is its commit.
describe('a crash while installing a plugin without dependencies', () => {
  it('after its document was written: nothing of it is left', { timeout: STEP_MS }, async () => {
    const client = await next('install.activated');
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0' });
    await expectNothingHalfMade();
    await crashDuring(() => installSolo(client));
  });

  it('after it was started and settled: it is there, running', { timeout: STEP_MS }, async () => {
    const client = await next();
    expectInstalled(await mine(client), { 'crash.base': '1.0.0', 'crash.mid': '1.0.0', 'crash.solo': '1.0.0' });
    await expectNothingHalfMade();
  });
});
