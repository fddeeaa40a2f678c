import { describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';

const t = useTestApp();
const admin = async () => t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
const newUser = (email: string, handle?: string) => ({ email, password: 'user-password-1', name: 'N', handle });

describe('user handles: the publisher names of users', () => {
  it('are derived from the email when not given, and shown in the user schema', async () => {
    const created = await (await admin()).POST('/api/users/', { body: newUser('Ann.Lee@plughub.test') });
    const again = await (await admin()).POST('/api/users/', { body: newUser('ann.lee@other.test') });
    expect([created.response.status, created.data?.handle, again.data?.handle]).toEqual([201, 'ann-lee', 'ann-lee-2']);
  });

  it('are taken as given, and unique', async () => {
    const a = await admin();
    const first = await a.POST('/api/users/', { body: newUser('first@plughub.test', 'studio-x') });
    const second = await a.POST('/api/users/', { body: newUser('second@plughub.test', 'studio-x') });
    expect([first.data?.handle, second.response.status, second.error?.details?.reason]).toEqual([
      'studio-x',
      409,
      'handle_taken',
    ]);
  });

  it('cannot be a reserved name nor an organisation’s slug, and a refused account is not stored', async () => {
    const owner = await t.createUser({ email: 'org-owner@plughub.test' });
    await owner.client.POST('/api/orgs/', { body: { slug: 'acme-works', name: 'Acme' } });
    const a = await admin();
    const [reserved, slug] = await Promise.all([
      a.POST('/api/users/', { body: newUser('reserved@plughub.test', 'plughub') }),
      a.POST('/api/users/', { body: newUser('slug@plughub.test', 'acme-works') }),
    ]);
    const list = await a.GET('/api/users/', { params: { query: { search: 'slug@plughub.test' } } });
    expect([reserved.error?.details?.reason, slug.error?.details?.reason, list.data?.count]).toEqual([
      'handle_taken',
      'handle_taken',
      0,
    ]);
  });

  it('are refused when they do not follow the pattern', async () => {
    const res = await (await admin()).POST('/api/users/', { body: newUser('bad@plughub.test', '-Bad_Handle') });
    expect([res.response.status, res.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
  });
});

describe('organisation slugs share the namespace', () => {
  it('an organisation cannot take a user’s handle, nor `plughub`', async () => {
    const user = await t.createUser({ email: 'carol@plughub.test' });
    const [handle, reserved] = await Promise.all([
      user.client.POST('/api/orgs/', { body: { slug: 'carol', name: 'Carol Inc' } }),
      user.client.POST('/api/orgs/', { body: { slug: 'plughub', name: 'Not us' } }),
    ]);
    const mine = await user.client.GET('/api/orgs/');
    expect([handle.response.status, handle.error?.details?.reason, reserved.error?.details?.reason]).toEqual([
      409,
      'slug_taken',
      'slug_taken',
    ]);
    expect(mine.data?.count).toBe(0);
  });
});
