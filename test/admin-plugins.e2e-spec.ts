import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

const t = useTestApp();
type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;
type User = Awaited<ReturnType<TestApp['createUser']>>;

const manifest = (key: string, version: string): Json => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  author: 'Acme Labs',
  license: 'MIT',
  runtime: { type: 'sandbox', entry: 'runner.js' },
});
const RUNNER = 'export function onMessage(m) { return { ok: true, echo: m.data }; }\n';

const publish = (client: Client, key: string, version: string) =>
  client.POST('/api/plugins/', {
    body: { manifest: manifest(key, version), files: { runner: RUNNER }, scope: 'public' } as never,
  });
const review = (client: Client, plugin: string, body: Json) =>
  client.POST('/api/admin/plugins/{plugin}/review/', { params: { path: { plugin } }, body: body as never });

let admin: Client;
let owner: User; // publishes owner.* plugins
let reviewer: User; // platform role reviewer
let reviewerWhoPublishes: User; // reviewer and publisher
let other: User;

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  owner = await t.createUser({ email: 'owner@review.test', roles: ['publisher'] });
  reviewer = await t.createUser({ email: 'reviewer@review.test', roles: ['reviewer'] });
  reviewerWhoPublishes = await t.createUser({ email: 'both@review.test', roles: ['reviewer', 'publisher'] });
  other = await t.createUser({ email: 'other@review.test' });
  for (const key of ['owner.queued', 'owner.rejected', 'owner.badge']) {
    expect((await publish(owner.client, key, '1.0.0')).response.status).toBe(201);
  }
  expect((await publish(reviewerWhoPublishes.client, 'both.mine', '1.0.0')).response.status).toBe(201);
});

describe('the admin overview', () => {
  it('lists every plugin in any state with its versions, for reviewers and admins; others are refused', async () => {
    const queue = await reviewer.client.GET('/api/admin/plugins/', { params: { query: { status: 'pending' } } });
    expect(queue.response.status).toBe(200);
    const keys = queue.data!.results.map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['owner.queued', 'owner.rejected', 'owner.badge', 'both.mine']));
    const queued = queue.data!.results.find((p) => p.key === 'owner.queued')!;
    expect(queued).toMatchObject({
      owner_type: 'user',
      owner_id: owner.id,
      killed: false,
      verified: false,
      installations: 0,
      versions: [{ version: '1.0.0', status: 'pending', reviewed_by: null }],
    });
    expect((await admin.GET('/api/admin/plugins/', { params: { query: { owner: owner.id } } })).data!.count).toBe(3);
    const refused = await other.client.GET('/api/admin/plugins/');
    expect(refused.error).toMatchObject({ code: 'FORBIDDEN' });
    const ownerToo = await owner.client.GET('/api/admin/plugins/');
    expect(ownerToo.error).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('reviewing a version', () => {
  it('approves a pending version: the reviewer is recorded, the dist-tags move, the public sees it', async () => {
    const before = await other.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'owner.queued' } } });
    expect(before.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    const res = await review(reviewer.client, 'owner.queued', {
      version: '1.0.0',
      decision: 'approve',
      notes: 'Fine.',
    });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      status: 'approved',
      versions: [{ version: '1.0.0', status: 'approved', reviewed_by: reviewer.id, review_notes: 'Fine.' }],
    });
    expect(res.data!.versions[0].reviewed_at).toEqual(expect.any(String));
    const after = await other.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'owner.queued' } } });
    expect(after.data).toMatchObject({ key: 'owner.queued', latest_version: '1.0.0' });
  });

  it('refuses to review a version that is not pending (409), even to change the decision', async () => {
    const again = await review(admin, 'owner.queued', {
      version: '1.0.0',
      decision: 'reject',
      notes: 'Changed my mind',
    });
    expect(again.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'not_pending', status: 'approved' } });
  });

  it('needs notes to reject (400), then rejects', async () => {
    const bare = await review(reviewer.client, 'owner.rejected', { version: '1.0.0', decision: 'reject' });
    expect(bare.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'notes_required' } });
    const blank = await review(reviewer.client, 'owner.rejected', { version: '1.0.0', decision: 'reject', notes: ' ' });
    expect(blank.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'notes_required' } });
    const res = await review(reviewer.client, 'owner.rejected', {
      version: '1.0.0',
      decision: 'reject',
      notes: 'The runner sends data home.',
    });
    expect(res.data).toMatchObject({
      status: 'rejected',
      versions: [{ status: 'rejected', reviewed_by: reviewer.id }],
    });
  });

  it("tells the owner: each decision is a `version.reviewed` event in their events, in no one else's", async () => {
    const events = (client: Client) =>
      client.GET('/api/events/', { params: { query: { type: 'version.reviewed', limit: 100 } } });
    const mine = (await events(owner.client)).data!.results.filter((e) => e.source.plugin?.startsWith('owner.'));
    const seen = mine.map((e) => {
      const { at, ...data } = e.data as Record<string, unknown>;
      return [e.source.kind, e.source.plugin, data, typeof at];
    });
    expect(seen).toEqual([
      [
        'system',
        'owner.rejected',
        { plugin_key: 'owner.rejected', version: '1.0.0', decision: 'rejected', notes: 'The runner sends data home.' },
        'string',
      ],
      [
        'system',
        'owner.queued',
        { plugin_key: 'owner.queued', version: '1.0.0', decision: 'approved', notes: 'Fine.' },
        'string',
      ],
    ]);
    expect((await events(other.client)).data!.results).toEqual([]);
    const forAdmins = (await events(admin)).data!.results.map((e) => e.source.plugin);
    expect(forAdmins).toEqual(expect.arrayContaining(['owner.queued', 'owner.rejected']));
  });

  it('refuses a reviewer approving their own plugin (403); another reviewer may', async () => {
    const own = await review(reviewerWhoPublishes.client, 'both.mine', { version: '1.0.0', decision: 'approve' });
    expect(own.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'self_approval' } });
    const res = await review(reviewer.client, 'both.mine', { version: '1.0.0', decision: 'approve' });
    expect(res.data).toMatchObject({ status: 'approved' });
  });

  it('is for reviewers and admins: the owner and other users are refused; unknown plugins and versions are 404', async () => {
    const byOwner = await review(owner.client, 'owner.badge', { version: '1.0.0', decision: 'approve' });
    expect(byOwner.error).toMatchObject({ code: 'FORBIDDEN' });
    const byOther = await review(other.client, 'owner.badge', { version: '1.0.0', decision: 'approve' });
    expect(byOther.error).toMatchObject({ code: 'FORBIDDEN' });
    const unknown = await review(reviewer.client, 'owner.nothing', { version: '1.0.0', decision: 'approve' });
    expect(unknown.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    const noVersion = await review(reviewer.client, 'owner.badge', { version: '9.9.9', decision: 'approve' });
    expect(noVersion.error).toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    const bad = await review(reviewer.client, 'owner.badge', { version: 'one', decision: 'maybe', extra: 1 });
    expect(bad.error!.code).toBe('VALIDATION_ERROR');
    expect(bad.error!.errors.map((e) => e.field).sort()).toEqual(['decision', 'extra', 'version']);
  });

  it('leaves an audit entry naming the reviewer and the decision', async () => {
    const { data } = await admin.GET('/api/admin/audit/', {
      params: { query: { action: 'admin_plugins_review_create', target: 'owner.rejected', outcome: 'success' } },
    });
    expect(data!.results).toMatchObject([
      { actor: { user_id: reviewer.id }, details: { request: { decision: 'reject' } }, after: { status: 'rejected' } },
    ]);
  });
});

describe('verification', () => {
  it('sets and clears the trust badge, recording who and when; the catalog filter follows', async () => {
    await review(reviewer.client, 'owner.badge', { version: '1.0.0', decision: 'approve' });
    const set = await reviewer.client.POST('/api/admin/plugins/{plugin}/verify/', {
      params: { path: { plugin: 'owner.badge' } },
      body: { verified: true, notes: 'Checked the source.' },
    });
    expect(set.data).toMatchObject({ verified: true, verified_by: reviewer.id, verified_notes: 'Checked the source.' });
    const listed = await other.client.GET('/api/plugins/', { params: { query: { verified: true } } });
    expect(listed.data!.results.map((p) => [p.key, p.verified])).toEqual([['owner.badge', true]]);
    const cleared = await admin.POST('/api/admin/plugins/{plugin}/verify/', {
      params: { path: { plugin: 'owner.badge' } },
      body: { verified: false },
    });
    expect(cleared.data).toMatchObject({ verified: false });
    const none = await other.client.GET('/api/plugins/', { params: { query: { verified: true } } });
    expect(none.data!.results).toEqual([]);
    const byOwner = await owner.client.POST('/api/admin/plugins/{plugin}/verify/', {
      params: { path: { plugin: 'owner.badge' } },
      body: { verified: true },
    });
    expect(byOwner.error).toMatchObject({ code: 'FORBIDDEN' });
  });
});
