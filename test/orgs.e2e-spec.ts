import { beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, useTestApp } from './support/app.js';

const t = useTestApp();
type User = Awaited<ReturnType<TestApp['createUser']>>;
const acme = { params: { path: { org: 'acme' } } };

describe('an organisation and its members (in order)', () => {
  let owner: User;
  let bob: User;
  let eve: User;

  beforeAll(async () => {
    owner = await t.createUser({ email: 'owner@acme.test' });
    bob = await t.createUser({ email: 'bob@acme.test' });
    eve = await t.createUser({ email: 'eve@elsewhere.test' });
  });

  it('belongs to its creator, as owner', async () => {
    const created = await owner.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Acme' } });
    expect([created.response.status, created.data!.my_role]).toEqual([201, 'owner']);
  });

  it('keeps its slug: a second organisation with it is slug_taken', async () => {
    const dup = await bob.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Other' } });
    expect([dup.response.status, dup.error]).toMatchObject([
      409,
      { code: 'CONFLICT', details: { reason: 'slug_taken' } },
    ]);
  });

  it('is invisible to outsiders: 404 and absent from their list', async () => {
    expect((await eve.client.GET('/api/orgs/{org}/', acme)).error!.code).toBe('NOT_FOUND');
    expect((await eve.client.GET('/api/orgs/')).data!.count).toBe(0);
  });

  it('takes a member by email: an invitation they accept with its token', async () => {
    const invited = await owner.client.POST('/api/orgs/{org}/members/', { ...acme, body: { user: 'bob@acme.test' } });
    expect([invited.response.status, (invited.data as unknown as { status: string }).status]).toEqual([202, 'pending']);
    const token = (invited.data as unknown as { token: string }).token;
    const joined = await bob.client.POST('/api/invitations/accept/', { body: { token } });
    expect([joined.response.status, joined.data!.role]).toEqual([201, 'member']);
  });

  it('shows a member their role and the members in the order they joined', async () => {
    expect((await bob.client.GET('/api/orgs/{org}/', acme)).data!.my_role).toBe('member');
    const members = await bob.client.GET('/api/orgs/{org}/members/', acme);
    expect(members.data!.results.map((m) => [m.email, m.role])).toEqual([
      ['owner@acme.test', 'owner'],
      ['bob@acme.test', 'member'],
    ]);
  });

  it('keeps plain members from adding people', async () => {
    const byBob = await bob.client.POST('/api/orgs/{org}/members/', { ...acme, body: { user: eve.id } });
    expect(byBob.error).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'not_manager' } });
  });

  it('answers outsiders who try to add people as if it did not exist', async () => {
    const byEve = await eve.client.POST('/api/orgs/{org}/members/', { ...acme, body: { user: eve.id } });
    expect(byEve.error!.code).toBe('NOT_FOUND');
  });

  it('keeps its last owner', async () => {
    const leaves = await owner.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'acme', user: owner.id } },
    });
    expect(leaves.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'last_owner' } });
  });

  it('lets a member leave, after which it is invisible to them', async () => {
    const leaves = await bob.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'acme', user: bob.id } },
    });
    expect(leaves.response.status).toBe(204);
    expect((await bob.client.GET('/api/orgs/{org}/', acme)).response.status).toBe(404);
  });
});

describe('validation', () => {
  let owner: User;
  beforeAll(async () => {
    owner = await t.createUser({ email: 'owner2@acme.test' });
    await owner.client.POST('/api/orgs/', { body: { slug: 'solo', name: 'Solo' } });
  });

  it('names every bad field of a new organisation', async () => {
    const bad = await owner.client.POST('/api/orgs/', { body: { slug: 'Not Valid!', name: '' } });
    expect(bad.error!.code).toBe('VALIDATION_ERROR');
    expect(bad.error!.errors.map((e) => e.field).sort()).toEqual(['name', 'slug']);
  });

  it('names the user field when it is neither a user id nor an email address', async () => {
    const bad = await owner.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'solo' } },
      body: { user: 'just-a-name', role: 'admin' },
    });
    expect(bad.error).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'user' }] });
  });

  it('refuses a malformed path parameter, naming it', async () => {
    const res = await owner.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'solo', user: 'not-an-id' } },
    });
    expect(res.error).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'user' }] });
  });
});
