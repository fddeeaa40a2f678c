import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/app.js';

const t = useTestApp();

describe('organisations', () => {
  it('creator owns it; members see it; outsiders get 404; roles gate membership changes', async () => {
    const owner = await t.createUser({ email: 'owner@acme.test' });
    const bob = await t.createUser({ email: 'bob@acme.test' });
    const eve = await t.createUser({ email: 'eve@elsewhere.test' });

    const created = await owner.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Acme' } });
    expect(created.response.status).toBe(201);
    expect(created.data!.my_role).toBe('owner');

    const dup = await bob.client.POST('/api/orgs/', { body: { slug: 'acme', name: 'Other' } });
    expect(dup.response.status).toBe(409);
    expect(dup.error!.code).toBe('CONFLICT');

    expect((await eve.client.GET('/api/orgs/{org}/', { params: { path: { org: 'acme' } } })).error!.code).toBe(
      'NOT_FOUND',
    );
    expect((await eve.client.GET('/api/orgs/')).data!.count).toBe(0);

    const added = await owner.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme' } },
      body: { user: 'bob@acme.test' },
    });
    expect(added.response.status).toBe(201);
    expect(added.data!.role).toBe('member');

    const bobView = await bob.client.GET('/api/orgs/{org}/', { params: { path: { org: 'acme' } } });
    expect(bobView.data!.my_role).toBe('member');
    const members = await bob.client.GET('/api/orgs/{org}/members/', { params: { path: { org: 'acme' } } });
    expect(members.data!.results.map((m) => [m.email, m.role])).toEqual([
      ['owner@acme.test', 'owner'],
      ['bob@acme.test', 'member'],
    ]);

    // A plain member cannot add people; an outsider cannot even see the org.
    const byBob = await bob.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme' } },
      body: { user: eve.id },
    });
    expect(byBob.error!.code).toBe('FORBIDDEN');
    const byEve = await eve.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'acme' } },
      body: { user: eve.id },
    });
    expect(byEve.error!.code).toBe('NOT_FOUND');

    // The last owner cannot leave; a member can.
    const ownerLeaves = await owner.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'acme', user: owner.id } },
    });
    expect(ownerLeaves.error!.code).toBe('CONFLICT');
    const bobLeaves = await bob.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'acme', user: bob.id } },
    });
    expect(bobLeaves.response.status).toBe(204);
    expect((await bob.client.GET('/api/orgs/{org}/', { params: { path: { org: 'acme' } } })).response.status).toBe(404);
  });

  it('validates slugs and members', async () => {
    const owner = await t.createUser({ email: 'owner2@acme.test' });
    const bad = await owner.client.POST('/api/orgs/', { body: { slug: 'Not Valid!', name: '' } });
    expect(bad.error!.code).toBe('VALIDATION_ERROR');
    expect(bad.error!.errors.map((e) => e.field).sort()).toEqual(['name', 'slug']);
    await owner.client.POST('/api/orgs/', { body: { slug: 'solo', name: 'Solo' } });
    const ghost = await owner.client.POST('/api/orgs/{org}/members/', {
      params: { path: { org: 'solo' } },
      body: { user: 'ghost@nowhere.test', role: 'admin' },
    });
    expect(ghost.error!.code).toBe('VALIDATION_ERROR');
    expect(ghost.error!.errors[0].field).toBe('user');
  });
});
