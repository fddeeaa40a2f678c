import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';
import { rawDocuments, rawUpdateMany } from './support/raw-db.js';
import { spec } from './support/spec.js';

const t = useTestApp();
type User = Awaited<ReturnType<TestApp['createUser']>>;

let admin: ReturnType<TestApp['client']>;

async function entriesOf(requestId: string) {
  const { data } = await admin.GET('/api/admin/audit/', { params: { query: { request_id: requestId } } });
  return data?.results;
}

/** A client whose requests carry a known request id, to find their entries. */
function tagged(token: string | undefined, requestId: string) {
  return t.client({ accessToken: token, headers: { 'x-request-id': requestId } });
}

describe('the audit log', () => {
  let adminToken: string;
  let alice: User;

  beforeAll(async () => {
    adminToken = await t.login(ADMIN.email, ADMIN.password);
    admin = t.client({ accessToken: adminToken });
    alice = await t.createUser({ email: 'alice@audit.test' });
  });

  it('records a successful mutating request once, with actor, action, target and answer', async () => {
    const id = randomUUID();
    const created = await tagged(alice.token, id).POST('/api/orgs/', { body: { slug: 'acme', name: 'Acme' } });
    expect(created.response.status).toBe(201);
    const entries = (await entriesOf(id))!;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      action: 'orgs_create',
      outcome: 'success',
      status: 201,
      actor: { kind: 'user', user_id: alice.id, roles: ['user'] },
      target: { type: 'orgs', id: created.data!.id },
      after: { slug: 'acme' },
      details: { request: { slug: 'acme', name: 'Acme' } },
    });
  });

  it('records a failed login as denied with the email claimed, never the password', async () => {
    const id = randomUUID();
    const password = 'wrong-password-that-must-not-be-stored';
    const res = await tagged(undefined, id).POST('/api/auth/token/', {
      body: { email: 'alice@audit.test', password },
    });
    expect(res.response.status).toBe(401);
    const [entry] = (await entriesOf(id))!;
    expect(entry).toMatchObject({
      action: 'auth_token_create',
      outcome: 'denied',
      status: 401,
      actor: { kind: 'anonymous', claimed: 'alice@audit.test' },
      details: { request: { password: '[redacted]' }, error: { code: 'UNAUTHENTICATED' } },
    });
    expect(JSON.stringify(entry)).not.toContain(password);
  });

  it('records a request the guard refuses (403), though it never reached the handler', async () => {
    const id = randomUUID();
    const res = await tagged(alice.token, id).POST('/api/users/', {
      body: { email: 'x@audit.test', password: 'some-password-1', name: 'x' },
    });
    expect(res.response.status).toBe(403);
    expect(await entriesOf(id)).toMatchObject([
      { action: 'users_create', outcome: 'denied', status: 403, actor: { user_id: alice.id } },
    ]);
  });

  it('records a validation failure with its error code', async () => {
    const id = randomUUID();
    const res = await tagged(alice.token, id).POST('/api/orgs/', { body: { slug: 'Not A Slug', name: '' } });
    expect(res.response.status).toBe(400);
    expect(await entriesOf(id)).toMatchObject([
      { action: 'orgs_create', outcome: 'failure', status: 400, details: { error: { code: 'VALIDATION_ERROR' } } },
    ]);
  });

  it('records a request retried with the same Idempotency-Key once: the replayed answer is not a new action', async () => {
    const id = randomUUID();
    const client = tagged(alice.token, id);
    const headers = { 'Idempotency-Key': `audit-${id}` };
    const call = () =>
      client.POST('/api/plugins/{plugin}/install/', {
        params: { path: { plugin: 'nobody.nothing' }, header: headers as never },
        body: {},
        headers,
      });
    const first = await call();
    const again = await call();
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.response.status).toBe(first.response.status);
    expect((await entriesOf(id))!.map((e) => [e.action, e.status])).toEqual([
      ['plugins_install_create', first.response.status],
    ]);
  });

  it('keeps the API token id of the caller and never the token key', async () => {
    const id = randomUUID();
    const created = await tagged(alice.token, id).POST('/api/auth/api-tokens/', { body: { name: 'ci' } });
    const key = created.data!.key;
    const [entry] = (await entriesOf(id))!;
    expect(entry.after).toMatchObject({ key: '[redacted]', name: 'ci' });
    const viaToken = randomUUID();
    await t
      .client({ apiToken: key, headers: { 'x-request-id': viaToken } })
      .POST('/api/orgs/', { body: { slug: 'tokenorg', name: 'T' } });
    expect(await entriesOf(viaToken)).toMatchObject([{ actor: { token_id: created.data!.id } }]);
    const stored = JSON.stringify(await rawDocuments(t.app, 'audit_entries'));
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(ADMIN.password);
    expect(stored).not.toContain('user-password-1');
  });

  it('filters by actor, action and outcome, newest first', async () => {
    const { data } = await admin.GET('/api/admin/audit/', {
      params: { query: { actor: alice.id, action: 'orgs_*', outcome: 'success' } },
    });
    expect(data!.results.map((e) => e.action)).toEqual(['orgs_create', 'orgs_create']);
    expect(data!.results[0].seq).toBeGreaterThan(data!.results[1].seq);
  });

  it('is for platform admins only', async () => {
    const res = await alice.client.GET('/api/admin/audit/');
    expect(res.error).toMatchObject({ code: 'FORBIDDEN' });
  });

  it("shows an org's owners its entries, not its members, and outsiders nothing", async () => {
    const bob = await t.createUser({ email: 'bob@audit.test' });
    const eve = await t.createUser({ email: 'eve@audit.test' });
    const invited = await alice.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme' } },
      body: { user: 'bob@audit.test' },
    });
    // Bob becomes a member by accepting the invitation.
    const { token } = invited.data as unknown as { token: string };
    expect((await bob.client.POST('/api/invitations/accept/', { body: { token } })).response.status).toBe(201);
    const own = await alice.client.GET('/api/org/audit/', { params: { query: { org: 'acme' } } });
    expect(own.data!.results.map((e) => e.action)).toContain('orgs_members_create');
    expect(own.data!.results.every((e) => e.org_id === own.data!.results[0].org_id)).toBe(true);
    const member = await bob.client.GET('/api/org/audit/', { params: { query: { org: 'acme' } } });
    expect(member.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_org_admin' } });
    const outsider = await eve.client.GET('/api/org/audit/', { params: { query: { org: 'acme' } } });
    expect(outsider.error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('verifies, and catches a change made directly in the database at exactly that entry', async () => {
    const before = await admin.GET('/api/admin/audit/verify/');
    expect(before.data).toMatchObject({ ok: true, break_seq: null });
    const { data } = await admin.GET('/api/admin/audit/', { params: { query: { actor: alice.id, limit: 3 } } });
    const victim = data!.results[2];
    expect(await rawUpdateMany(t.app, 'audit_entries', { seq: victim.seq }, { outcome: 'failure' })).toBe(1);
    const after = await admin.GET('/api/admin/audit/verify/');
    expect(after.data).toMatchObject({ ok: false, break_seq: victim.seq, break_reason: 'hash_mismatch' });
    await rawUpdateMany(t.app, 'audit_entries', { seq: victim.seq }, { outcome: victim.outcome });
    expect((await admin.GET('/api/admin/audit/verify/')).data).toMatchObject({ ok: true });
  });
});

describe('no secret in any entry', () => {
  const SECRET = 'sk-audit-secret-setting-7391';
  const ROTATED = 'sk-audit-rotated-setting-8402';
  const PASSWORD = 'registered-passphrase-5517';
  const KEY = 'auditpub.vault';
  const plugin = { params: { path: { plugin: KEY } } };

  it(
    'holds no setting a manifest marks secret, no password and no token, in any entry of any request',
    { timeout: 120_000 },
    async () => {
      const adminToken = await t.login(ADMIN.email, ADMIN.password);
      admin = t.client({ accessToken: adminToken });
      const publisher = await t.createUser({ email: 'pub@vault.test', roles: ['publisher'], handle: 'auditpub' });
      const owner = await t.createUser({ email: 'owner@vault.test' });
      const manifest = {
        key: KEY,
        name: 'Vault',
        version: '1.0.0',
        description: 'Keeps an API key',
        author: 'Audit Test',
        license: 'MIT',
        runtime: { type: 'sandbox', entry: 'runner.js' },
        permissions: ['config:read', 'secrets:read'],
        settings: { api_key: { type: 'string', secret: true, required: true }, label: { type: 'string' } },
      };
      const pub = await publisher.client.POST('/api/plugins/', {
        body: {
          manifest,
          files: { runner: 'export default { onMessage() { return {}; } };\n' },
          scope: 'public',
        } as never,
      });
      expect(pub.response.status, JSON.stringify(pub.error)).toBe(201);
      const approved = await admin.POST('/api/admin/plugins/{plugin}/review/', {
        ...plugin,
        body: { version: '1.0.0', decision: 'approve' },
      });
      expect(approved.response.status, JSON.stringify(approved.error)).toBe(200);

      const ids = {
        install: randomUUID(),
        patch: randomUUID(),
        put: randomUUID(),
        create: randomUUID(),
        login: randomUUID(),
      };
      const installed = await tagged(owner.token, ids.install).POST('/api/plugins/{plugin}/install/', {
        ...plugin,
        body: { config: { api_key: SECRET, label: 'first' } } as never,
      });
      expect(installed.response.status, JSON.stringify(installed.error)).toBe(201);
      const patched = await tagged(owner.token, ids.patch).PATCH('/api/plugins/{plugin}/config/', {
        ...plugin,
        body: { api_key: ROTATED } as never,
      });
      expect(patched.response.status, JSON.stringify(patched.error)).toBe(200);
      const put = await tagged(owner.token, ids.put).PUT('/api/plugins/{plugin}/config/', {
        ...plugin,
        body: { api_key: SECRET, label: 'second' } as never,
      });
      expect(put.response.status, JSON.stringify(put.error)).toBe(200);
      const created = await tagged(adminToken, ids.create).POST('/api/users/', {
        body: { email: 'new@vault.test', name: 'New', password: PASSWORD, roles: ['user'] },
      });
      expect(created.response.status, JSON.stringify(created.error)).toBe(201);
      const login = await tagged(undefined, ids.login).POST('/api/auth/token/', {
        body: { email: 'new@vault.test', password: PASSWORD },
      });
      const tokens = Object.values(login.data as unknown as Record<string, unknown>).filter(
        (v): v is string => typeof v === 'string' && v.length >= 20,
      );
      expect(tokens.length).toBeGreaterThan(0);

      // Each request left its entry, the secret fields in it redacted...
      for (const id of Object.values(ids)) expect(await entriesOf(id)).toHaveLength(1);
      const [install] = (await entriesOf(ids.install))!;
      expect(install.details).toMatchObject({ request: { config: { api_key: '[redacted]', label: 'first' } } });
      // ...and no entry stored anywhere holds any of the values, in any form the API gave or took them.
      const stored = JSON.stringify(await rawDocuments(t.app, 'audit_entries'));
      for (const value of [SECRET, ROTATED, PASSWORD, ...tokens]) expect(stored).not.toContain(value);
    },
  );
});

/** Values for path parameters: well-formed where a pattern allows, so most calls reach the handler's rules. */
const PATH_VALUES: Record<string, string> = {
  plugin: 'nobody.nothing',
  version: '1.0.0',
  org: 'no-such-org',
  id: '0123456789abcdef01234567',
  user: '0123456789abcdef01234567',
};

describe('every mutating operation of the contract', () => {
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    (['post', 'put', 'patch', 'delete'] as const)
      .filter((m) => item[m])
      .map((method) => ({ path, method, operationId: item[method]!.operationId })),
  );

  it('has some to walk', () => {
    expect(operations.length).toBeGreaterThan(5);
  });

  it.each(operations)('$operationId leaves exactly one entry with its operationId', async (op) => {
    const token = await t.login(ADMIN.email, ADMIN.password);
    admin = t.client({ accessToken: token });
    const id = randomUUID();
    const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => PATH_VALUES[name] ?? 'x');
    const res = await fetch(`${t.baseUrl}${path}`, {
      method: op.method.toUpperCase(),
      headers: {
        authorization: `Bearer ${token}`,
        'x-request-id': id,
        ...(op.method === 'delete' ? {} : { 'content-type': 'application/json' }),
      },
      body: op.method === 'delete' ? undefined : '{}',
    });
    expect(res.status).toBeGreaterThanOrEqual(200);
    const entries = (await entriesOf(id))!;
    expect(entries.map((e) => [e.action, e.status])).toEqual([[op.operationId, res.status]]);
  });
});
