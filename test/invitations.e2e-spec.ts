import { beforeAll, describe, expect, it } from 'vitest';
import { rawDocuments } from './support/raw-db.js';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';

const t = useTestApp();
type Client = ReturnType<TestApp['client']>;
type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const org = (slug: string) => ({ params: { path: { org: slug } } });
const DAY_MS = 24 * 60 * 60 * 1000;

let admin: Client;
let owner: User; // owns lab
let orgAdmin: User; // admin of lab
let plain: User; // member of lab
let ann: User; // invited around
let outsider: User;

/** POST …/members/ as `by`; the invitation it answered (202) with its token. */
async function invite(by: User, slug: string, user: string, role?: 'member' | 'admin' | 'owner') {
  const res = await by.client.POST('/api/orgs/{org}/members/', { ...org(slug), body: { user, role } });
  expect(res.response.status, JSON.stringify(res.error)).toBe(202);
  return res.data as unknown as Json & { id: string; token: string };
}
const accept = (by: User, token: string) => by.client.POST('/api/invitations/accept/', { body: { token } });
const decline = (by: User, token: string) => by.client.POST('/api/invitations/decline/', { body: { token } });
const roleIn = async (user: User, slug: string) => (await user.client.GET('/api/orgs/{org}/', org(slug))).data?.my_role;

beforeAll(async () => {
  admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  owner = await t.createUser({ email: 'owner@lab.test' });
  orgAdmin = await t.createUser({ email: 'orgadmin@lab.test' });
  plain = await t.createUser({ email: 'plain@lab.test' });
  ann = await t.createUser({ email: 'ann@lab.test' });
  outsider = await t.createUser({ email: 'outsider@else.test' });
  expect((await owner.client.POST('/api/orgs/', { body: { slug: 'lab', name: 'Lab' } })).response.status).toBe(201);
  for (const [user, role] of [
    [orgAdmin, 'admin'],
    [plain, 'member'],
  ] as const) {
    const { token } = await invite(owner, 'lab', user.id, role);
    expect((await accept(user, token)).response.status).toBe(201);
  }
});

describe('adding someone to an organisation is an invitation they accept', () => {
  it('makes nobody a member until they accept, then with the invited role', async () => {
    const invitation = await invite(orgAdmin, 'lab', 'Ann@Lab.test', 'admin');
    expect(invitation).toMatchObject({ org: 'lab', invitee: 'ann@lab.test', role: 'admin', status: 'pending' });
    expect((await ann.client.GET('/api/orgs/{org}/', org('lab'))).response.status).toBe(404);
    const members = await owner.client.GET('/api/orgs/{org}/members/', org('lab'));
    expect(members.data!.results.map((m) => m.email)).not.toContain('ann@lab.test');

    // Ann sees it among hers, without its token, and accepts it with the token.
    const mine = await ann.client.GET('/api/invitations/');
    expect(mine.data!.results.map((i) => [i.id, i.status])).toEqual([[invitation.id, 'pending']]);
    expect(JSON.stringify(mine.data)).not.toContain(invitation.token);
    const joined = await accept(ann, invitation.token);
    expect([joined.response.status, joined.data?.role, await roleIn(ann, 'lab')]).toEqual([201, 'admin', 'admin']);

    // A token answers once.
    const again = await accept(ann, invitation.token);
    expect([again.response.status, again.error?.details]).toEqual([
      409,
      { reason: 'invitation_closed', status: 'accepted' },
    ]);
  });

  it('answers an unknown email as it answers one with an account, and creates no account', async () => {
    const known = await invite(owner, 'lab', 'outsider@else.test');
    const unknown = await invite(owner, 'lab', 'nobody@nowhere.test');
    const shape = (i: Json) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k, typeof v]));
    expect(shape(unknown)).toEqual(shape(known));
    expect([unknown.status, known.status]).toEqual(['pending', 'pending']);
    const users = await admin.GET('/api/users/', { params: { query: { search: 'nobody@nowhere.test' } } });
    expect(users.data!.count).toBe(0);
  });

  it('is only for the account it is addressed to: anyone else holding the token gets 404', async () => {
    const invitation = await invite(owner, 'lab', 'nobody-else@lab.test');
    const stolen = await accept(outsider, invitation.token);
    const forged = await accept(outsider, 'phi_not-a-real-token');
    expect([stolen.error?.code, forged.error?.code]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect((await outsider.client.GET('/api/orgs/{org}/', org('lab'))).response.status).toBe(404);
  });

  it('joins once when accepted twice at the same moment: one 201, the other 409 invitation_closed', async () => {
    const ivy = await t.createUser({ email: 'ivy@lab.test' });
    const invitation = await invite(owner, 'lab', ivy.id);
    const answers = await Promise.all([accept(ivy, invitation.token), accept(ivy, invitation.token)]);
    expect(answers.map((a) => [a.response.status, a.error?.details?.reason]).sort()).toEqual([
      [201, undefined],
      [409, 'invitation_closed'],
    ]);
    expect(await roleIn(ivy, 'lab')).toBe('member');
  });

  it('joins once when two invitations (to the id and to the email) are accepted at the same moment', async () => {
    const jo = await t.createUser({ email: 'jo@lab.test' });
    const [byId, byEmail] = [await invite(owner, 'lab', jo.id, 'admin'), await invite(owner, 'lab', 'jo@lab.test')];
    const answers = await Promise.all([accept(jo, byId.token), accept(jo, byEmail.token)]);
    expect(answers.map((a) => a.response.status)).toEqual([201, 201]);
    // Whichever came first set the role; the other found a member and kept it.
    expect(new Set(answers.map((a) => a.data?.role)).size).toBe(1);
    const members = await owner.client.GET('/api/orgs/{org}/members/', org('lab'));
    expect(members.data!.results.filter((m) => m.email === 'jo@lab.test')).toHaveLength(1);
  });

  it('can be declined, after which it cannot be accepted', async () => {
    const carl = await t.createUser({ email: 'carl@lab.test' });
    const invitation = await invite(owner, 'lab', carl.id);
    expect((await decline(carl, invitation.token)).response.status).toBe(204);
    const late = await accept(carl, invitation.token);
    expect(late.error).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'invitation_closed', status: 'declined' },
    });
    expect((await carl.client.GET('/api/orgs/{org}/', org('lab'))).response.status).toBe(404);
  });

  it('can be revoked by an org admin; its token then stops working', async () => {
    const dora = await t.createUser({ email: 'dora@lab.test' });
    const invitation = await invite(owner, 'lab', 'dora@lab.test');
    const revoked = await orgAdmin.client.DELETE('/api/orgs/{org}/invitations/{id}/', {
      params: { path: { org: 'lab', id: invitation.id } },
    });
    expect(revoked.response.status).toBe(204);
    expect((await accept(dora, invitation.token)).error).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'invitation_closed', status: 'revoked' },
    });
    const listed = await owner.client.GET('/api/orgs/{org}/invitations/', {
      params: { path: { org: 'lab' }, query: { status: 'revoked' } },
    });
    expect(listed.data!.results.map((i) => i.id)).toContain(invitation.id);
  });

  it('replaces a pending invitation when the same person is invited again', async () => {
    const eli = await t.createUser({ email: 'eli@lab.test' });
    const first = await invite(owner, 'lab', 'eli@lab.test');
    const second = await invite(owner, 'lab', 'eli@lab.test', 'admin');
    expect((await accept(eli, first.token)).error?.details).toEqual({ reason: 'invitation_closed', status: 'revoked' });
    expect((await accept(eli, second.token)).data?.role).toBe('admin');
  });

  it('keeps its token secret: stored only as a hash, never in a list, a log line or an error', async () => {
    const invitation = await invite(owner, 'lab', 'secret-keeper@lab.test');
    const stored = await rawDocuments(t.app, 'org_invitations');
    expect(JSON.stringify(stored)).not.toContain(invitation.token);
    const listed = await owner.client.GET('/api/orgs/{org}/invitations/', org('lab'));
    expect(JSON.stringify(listed.data)).not.toContain(invitation.token);
    await accept(outsider, invitation.token);
    expect(JSON.stringify(t.logs)).not.toContain(invitation.token);
  });

  it('is added at once by a platform admin (201), and an unknown user is named to them', async () => {
    const gus = await t.createUser({ email: 'gus@lab.test' });
    const added = await admin.POST('/api/orgs/{org}/members/', { ...org('lab'), body: { user: gus.id } });
    expect([added.response.status, await roleIn(gus, 'lab')]).toEqual([201, 'member']);
    const ghost = await admin.POST('/api/orgs/{org}/members/', { ...org('lab'), body: { user: 'ghost@lab.test' } });
    expect(ghost.error).toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'unknown_user' } });
  });
});

describe('who may invite', () => {
  it('not plain members: 403, nor may they list or revoke invitations; outsiders get 404', async () => {
    const byPlain = await plain.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: 'x@lab.test' },
    });
    const listByPlain = await plain.client.GET('/api/orgs/{org}/invitations/', org('lab'));
    const byOutsider = await outsider.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: 'x@lab.test' },
    });
    const listByOutsider = await outsider.client.GET('/api/orgs/{org}/invitations/', org('lab'));
    expect([byPlain.error?.details?.reason, listByPlain.error?.details?.reason]).toEqual([
      'not_manager',
      'not_manager',
    ]);
    expect([byOutsider.error?.code, listByOutsider.error?.code]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });
});

describe('only owners change or remove owners, whatever the route', () => {
  it('an org admin can neither invite an owner, nor demote one through POST members, nor remove one', async () => {
    const ownerInvite = await orgAdmin.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: 'new-owner@lab.test', role: 'owner' },
    });
    const demote = await orgAdmin.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: owner.id, role: 'member' },
    });
    const demoteByDefault = await orgAdmin.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: 'owner@lab.test' },
    });
    const remove = await orgAdmin.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'lab', user: owner.id } },
    });
    expect(
      [ownerInvite, demote, demoteByDefault, remove].map((r) => [r.response.status, r.error?.details?.reason]),
    ).toEqual([
      [403, 'owners_only'],
      [403, 'owners_only'],
      [403, 'owners_only'],
      [403, 'owners_only'],
    ]);
    expect(await roleIn(owner, 'lab')).toBe('owner');
  });

  it('an owner invites an owner, who then may demote and remove the first; the last owner stays', async () => {
    const hal = await t.createUser({ email: 'hal@lab.test' });
    const invitation = await invite(owner, 'lab', 'hal@lab.test', 'owner');
    expect((await accept(hal, invitation.token)).data?.role).toBe('owner');
    const demoted = await hal.client.POST('/api/orgs/{org}/members/', {
      ...org('lab'),
      body: { user: owner.id, role: 'admin' },
    });
    expect([demoted.response.status, demoted.data?.role]).toEqual([201, 'admin']);
    const removed = await hal.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'lab', user: owner.id } },
    });
    expect(removed.response.status).toBe(204);
    const lastLeaves = await hal.client.DELETE('/api/orgs/{org}/members/{user}/', {
      params: { path: { org: 'lab', user: hal.id } },
    });
    expect(lastLeaves.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'last_owner' } });
  });
});

describe('expiry (moves the clock: last)', () => {
  it('expires after seven days unanswered', async () => {
    await t.createUser({ email: 'fay@lab.test' });
    // The owner left lab in the test before; its org admin invites.
    const invitation = await invite(orgAdmin, 'lab', 'fay@lab.test');
    t.clock.advance(7 * DAY_MS + 1000);
    // Sessions from before are past their hour too: sign in again.
    const again = async (email: string) => t.client({ accessToken: await t.login(email, 'user-password-1') });
    const [fayNow, adminNow] = [await again('fay@lab.test'), await again('orgadmin@lab.test')];
    const late = await fayNow.POST('/api/invitations/accept/', { body: { token: invitation.token } });
    expect([late.response.status, late.error?.details?.reason]).toEqual([409, 'invitation_expired']);
    const expired = await adminNow.GET('/api/orgs/{org}/invitations/', {
      params: { path: { org: 'lab' }, query: { status: 'expired' } },
    });
    expect(expired.data!.results.map((i) => [i.id, i.status])).toContainEqual([invitation.id, 'expired']);
    const pending = await fayNow.GET('/api/invitations/', { params: { query: { status: 'pending' } } });
    expect([pending.data!.count, (await fayNow.GET('/api/orgs/{org}/', org('lab'))).response.status]).toEqual([0, 404]);
  });
});
