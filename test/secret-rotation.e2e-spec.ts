import { randomBytes } from 'node:crypto';
import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModerationService } from '../apps/api/src/registry/moderation.service.js';
import { SecretBox, secretKey, SecretUnreadableError } from '../apps/api/src/secrets/secret-box.js';
import { SecretRotation } from '../apps/api/src/secrets/secret-rotation.js';
import { type TestApp, useTestApp } from './support/app.js';
import { rawDocuments } from './support/raw-db.js';

type User = Awaited<ReturnType<TestApp['createUser']>>;

const OLD_KEY = randomBytes(32);
const t = useTestApp({ env: { PLUGHUB_SECRET_KEY: OLD_KEY.toString('hex') } });

const REVIEWER: AuthUser = {
  id: '0000000000000000000000ae',
  email: 'reviewer@rotation.test',
  name: 'Reviewer',
  roles: ['reviewer'],
  method: 'jwt',
  scopes: null,
};
const KEYS = ['acme.rotated-one', 'acme.rotated-two', 'acme.rotated-three'];
const SECRETS = ['sk-rotation-one-111', 'sk-rotation-two-222', 'sk-rotation-three-333'];
const RUNNER = 'let ctx;\nexport default { onInit(c) { ctx = c; }, onMessage() { return { config: ctx.config }; } };\n';

let owner: User;
const ids: string[] = [];

type Sealed = { _id: unknown; secrets: Record<string, string> };
const stored = async () => (await rawDocuments(t.app, 'installations', {})) as unknown as Sealed[];
const keyIds = (docs: Sealed[]) => docs.flatMap((d) => Object.values(d.secrets).map((s) => s.split('.')[1]));

beforeAll(async () => {
  const publisher = await t.createUser({ email: 'pub@rotation.test', roles: ['publisher'], handle: 'acme' });
  owner = await t.createUser({ email: 'owner@rotation.test' });
  for (const [i, key] of KEYS.entries()) {
    const manifest = {
      key,
      name: `Rotated ${i}`,
      version: '1.0.0',
      description: 'Keeps a secret',
      author: 'Acme Labs',
      license: 'MIT',
      runtime: { type: 'sandbox', entry: 'runner.js' },
      permissions: ['config:read', 'secrets:read', 'messages:receive'],
      settings: { api_key: { type: 'string', secret: true } },
    };
    const pub = await publisher.client.POST('/api/plugins/', {
      body: { manifest, files: { runner: RUNNER }, scope: 'public' } as never,
    });
    expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
    await t.app.get(ModerationService).reviewVersion(REVIEWER, key, '1.0.0', 'approved');
    const installed = await owner.client.POST('/api/plugins/{plugin}/install/', {
      params: { path: { plugin: key } },
      body: { config: { api_key: SECRETS[i] } } as never,
    });
    expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
    ids.push((installed.data as { installation: { id: string } }).installation.id);
  }
});

describe('secret key rotation', () => {
  it('an interrupted rotation leaves every secret readable, and the next run finishes it', async () => {
    const old = secretKey(OLD_KEY);
    const next = secretKey(randomBytes(32));
    expect(new Set(keyIds(await stored()))).toEqual(new Set([old.id]));

    const first = await t.app.get(SecretRotation).rotate(next, { stopAfter: 1 });
    expect(first).toMatchObject({ resealed: 1, complete: false });
    expect(keyIds(await stored()).sort()).toEqual([next.id, old.id, old.id].sort());
    // Half-way, a restart still opens every secret: the old key opens the rest.
    const restarted = await owner.client.POST('/api/plugins/{plugin}/restart/', {
      params: { path: { plugin: KEYS[2] } },
      body: {},
    });
    expect(restarted.response.status, JSON.stringify(restarted.error)).toBe(200);

    const second = await t.app.get(SecretRotation).rotate(next);
    expect(second).toMatchObject({ resealed: 2, current: 1, unreadable: 0, complete: true });
    const docs = await stored();
    expect(new Set(keyIds(docs))).toEqual(new Set([next.id]));

    // The old key alone opens none of them any more; the new one opens each, for its own context only.
    const oldOnly = new SecretBox(old);
    const newOnly = new SecretBox(next);
    for (const doc of docs) {
      const id = String(doc._id);
      const sealed = doc.secrets.api_key;
      expect(() => oldOnly.open(sealed, `${id}/api_key`)).toThrow(SecretUnreadableError);
      expect(SECRETS).toContain(newOnly.open(sealed, `${id}/api_key`));
      expect(JSON.stringify(doc)).not.toMatch(/sk-rotation/);
    }

    // The plugins still read their secrets, after a restart (which opens them again) and in a running instance.
    for (const [i, key] of KEYS.entries()) {
      const res = await owner.client.POST('/api/plugins/{plugin}/restart/', {
        params: { path: { plugin: key } },
        body: {},
      });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      const reply = (await t.app.get(PluginRuntime).message(ids[i], { type: 'show' })) as {
        config: { api_key: string };
      };
      expect(reply.config.api_key).toBe(SECRETS[i]);
    }
    // What is sealed from now on uses the new key.
    const written = await owner.client.PATCH('/api/plugins/{plugin}/config/', {
      params: { path: { plugin: KEYS[0] } },
      body: { api_key: 'sk-rotation-after' } as never,
    });
    expect(written.response.status, JSON.stringify(written.error)).toBe(200);
    expect(new Set(keyIds(await stored()))).toEqual(new Set([next.id]));
    expect(JSON.stringify(t.logs)).not.toMatch(/sk-rotation/);
  });
});
