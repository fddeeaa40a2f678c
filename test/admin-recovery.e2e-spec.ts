import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_ADDRESS_FILE } from '@app/database';
import { projectFile } from '../apps/api/src/config/paths.js';
import { ADMIN, startTestApp, type TestApp } from './support/app.js';
import { databaseNameOf, rawUpdateMany } from './support/raw-db.js';

const run = promisify(execFile);
const dataDir = join(mkdtempSync(join(tmpdir(), 'plughub-admin-')), 'data');
// A data directory on disk, with the JWT secret generated into it (the test default is a fixed one).
const env = { PLUGHUB_DB_MEMORY: 'false', PLUGHUB_DATA_DIR: dataDir, PLUGHUB_JWT_SECRET: '' };

/** `npm run admin -- …`, as a user types it: a separate process on the same data directory. */
async function admin(args: string[], extraEnv: Record<string, string> = {}) {
  const { stdout } = await run(
    process.execPath,
    [projectFile('node_modules/tsx/dist/cli.mjs'), 'scripts/admin.ts', ...args],
    {
      cwd: projectFile(),
      env: { ...process.env, PLUGHUB_DATA_DIR: dataDir, PLUGHUB_DB_MEMORY: 'false', MONGODB_URI: '', ...extraEnv },
      timeout: 120_000,
    },
  );
  return stdout;
}

let t: TestApp | null = null;
afterAll(async () => {
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// Each run of the script is a fresh tsx process: slow on a loaded machine, hence the generous bound.
describe('recovering a lost admin with npm run admin', { timeout: 180_000 }, () => {
  let jwt: string;
  let adminPassword = ADMIN.password;

  it('keeps the app’s own files in the data directory to their owner (0600, directory 0700)', async () => {
    t = await startTestApp({ env });
    jwt = await t.login(ADMIN.email, ADMIN.password);
    const own = ['jwt-secret', ENGINE_ADDRESS_FILE].map((f) => statSync(join(dataDir, f)).mode & 0o777);
    expect([statSync(dataDir).mode & 0o777, ...own]).toEqual([0o700, 0o600, 0o600]);
    // And every file the engine keeps there is its owner's alone too.
    expect(readdirSync(dataDir).filter((f) => (statSync(join(dataDir, f)).mode & 0o077) !== 0)).toEqual([]);
  });

  it('stores the app’s collections in the `plughub` database, not the driver’s `test`', () => {
    expect(databaseNameOf(t!.app)).toBe('plughub');
  });

  it('resets the password while the server runs, prints it once, and ends the older JWTs', async () => {
    const out = await admin(['--email', ADMIN.email, '--reset-password']);
    const password = /password: (\S+)/.exec(out)?.[1];
    expect(password).toBeDefined();
    t!.clock.advance(5_000); // past the auth cache
    const [old, renewed, oldJwt] = await Promise.all([
      t!.client().POST('/api/auth/token/', { body: ADMIN }),
      t!.client().POST('/api/auth/token/', { body: { email: ADMIN.email, password: password! } }),
      t!.client({ accessToken: jwt }).GET('/api/auth/me/'),
    ]);
    expect([old.error?.code, renewed.response.status, oldJwt.error?.code]).toEqual([
      'UNAUTHENTICATED',
      200,
      'UNAUTHENTICATED',
    ]);
    adminPassword = password!;
  });

  it('promotes an account while the server is stopped, with the password from PLUGHUB_NEW_PASSWORD', async () => {
    const admin1 = t!.client({ accessToken: await t!.login(ADMIN.email, adminPassword) });
    const body = { email: 'deputy@plughub.test', password: 'first-password-1', name: 'Deputy' };
    expect((await admin1.POST('/api/users/', { body })).response.status).toBe(201);
    await t!.close();
    t = null;
    const out = await admin(['--email', 'deputy@plughub.test', '--reset-password', '--promote'], {
      PLUGHUB_NEW_PASSWORD: 'deputy-password-9',
    });
    expect(out).not.toContain('deputy-password-9');
    t = await startTestApp({ env });
    const token = await t.login('deputy@plughub.test', 'deputy-password-9');
    const me = await t.client({ accessToken: token }).GET('/api/auth/me/');
    expect([me.data!.roles, me.data!.is_active]).toEqual([['admin', 'user'], true]);
  });

  it('reads stored null statuses as inactive, and at start-up promotes PLUGHUB_ADMIN_EMAIL when no active admin is left', async () => {
    const deputy = t!.client({ accessToken: await t!.login('deputy@plughub.test', 'deputy-password-9') });
    const body = { email: 'rescuer@plughub.test', password: 'user-password-1', name: 'Rescuer' };
    const rescuer = (await deputy.POST('/api/users/', { body })).data!;
    // Data an older version let through: every admin's is_active is null.
    expect(await rawUpdateMany(t!.app, 'users', { roles: 'admin' }, { is_active: null })).toBe(2);
    t!.clock.advance(5_000); // past the auth cache
    const [adminLogin, adminJwt] = await Promise.all([
      t!.client().POST('/api/auth/token/', { body: { email: ADMIN.email, password: adminPassword } }),
      t!.client({ accessToken: await t!.login('rescuer@plughub.test', 'user-password-1') }).GET('/api/users/'),
    ]);
    expect([adminLogin.error?.code, adminJwt.error?.code]).toEqual(['UNAUTHENTICATED', 'FORBIDDEN']);
    await t!.close();
    t = await startTestApp({ env: { ...env, PLUGHUB_ADMIN_EMAIL: 'rescuer@plughub.test' } });
    const promoted = t.logs.filter((l) => l.level === 'warn' && l.user_id === rescuer.id);
    const me = await t
      .client({ accessToken: await t.login('rescuer@plughub.test', 'user-password-1') })
      .GET('/api/auth/me/');
    expect([promoted.length, me.data!.roles, me.data!.is_active]).toEqual([1, ['admin', 'user'], true]);
  });

  it('answers an unknown email with exit code 1 and changes nothing', async () => {
    await expect(admin(['--email', 'ghost@plughub.test', '--promote'])).rejects.toMatchObject({ code: 1 });
  });
});
