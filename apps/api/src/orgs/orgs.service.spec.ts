import { createHash } from 'node:crypto';
import type { OrgRole } from '@app/common';
import { caller } from '@test/support/fixtures.js';
import { strictMock } from '@test/support/strict-mock.js';
import { TestClock } from '@test/support/clock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { Membership, NewInvitation, Organisation } from './org.entity.js';
import { InvitationsService } from './invitations.service.js';
import { type AddMemberResult, OrgsService } from './orgs.service.js';
import { InvitationRepository } from './persistence/invitation.repository.js';
import { MembershipRepository } from './persistence/membership.repository.js';
import { OrgRepository } from './persistence/org.repository.js';

const ORG: Organisation = {
  id: 'o1',
  slug: 'acme',
  name: 'Acme',
  description: '',
  createdBy: 'u0',
  createdAt: new Date(0),
};
const member = (userId: string, role: OrgRole): Membership => ({ orgId: 'o1', userId, role, joinedAt: new Date(0) });
const person = (id: string) => ({ id, email: `${id}@x.test`, name: id }) as User;

let orgs: ReturnType<typeof strictMock<OrgRepository>>;
let members: ReturnType<typeof strictMock<MembershipRepository>>;
let users: ReturnType<typeof strictMock<UsersService>>;
let invitations: ReturnType<typeof strictMock<InvitationRepository>>;
let roles: Map<string, Map<string, OrgRole>>;
let service: OrgsService;

beforeEach(() => {
  orgs = strictMock(OrgRepository);
  members = strictMock(MembershipRepository);
  users = strictMock(UsersService);
  invitations = strictMock(InvitationRepository);
  roles = new Map();
  const access = new AccessService({
    rolesOf: vi.fn((id: string) => Promise.resolve(roles.get(id) ?? new Map<string, OrgRole>())),
    findOrg: vi.fn(),
  });
  service = new OrgsService(
    orgs,
    members,
    users,
    access,
    new InvitationsService(orgs, members, invitations, access, new TestClock()),
  );
  orgs.findByRef.mockResolvedValue(ORG);
});

/** The member an addMember answered with; fails when it answered an invitation. */
const added = (result: AddMemberResult) => {
  if (!('member' in result)) throw new Error('expected a member, got an invitation');
  return result.member;
};

/** `userId` has `role` in acme. */
const inAcme = (userId: string, role: OrgRole) => roles.set(userId, new Map([['o1', role]]));

describe('the last-owner rule', () => {
  it('keeps the last owner from leaving', async () => {
    inAcme('u1', 'owner');
    members.find.mockResolvedValue(member('u1', 'owner'));
    members.countOwners.mockResolvedValue(1);
    await expect(service.removeMember(caller('u1'), 'acme', 'u1')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'last_owner' },
    });
  });

  it('keeps the last owner from being demoted', async () => {
    inAcme('u1', 'owner');
    users.findByRef.mockResolvedValue(person('u1'));
    members.find.mockResolvedValue(member('u1', 'owner'));
    members.countOwners.mockResolvedValue(1);
    await expect(service.addMember(caller('u1'), 'acme', { user: 'u1@x.test', role: 'admin' })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'last_owner' },
    });
  });

  it('lets an owner leave while another owner remains', async () => {
    inAcme('u1', 'owner');
    members.find.mockResolvedValue(member('u1', 'owner'));
    members.countOwners.mockResolvedValue(2);
    members.remove.mockResolvedValue(true);
    await service.removeMember(caller('u1'), 'acme', 'u1');
    expect(members.remove).toHaveBeenCalledWith('o1', 'u1');
  });
});

describe('the owner-promotion rule', () => {
  it('has org admins invite a non-member: a pending invitation with its token, stored only as a hash', async () => {
    inAcme('u1', 'admin');
    users.findByRef.mockResolvedValue(person('u2'));
    members.find.mockResolvedValue(null);
    invitations.create.mockImplementation((input: NewInvitation, now: Date) =>
      Promise.resolve({ ...input, id: 'i1', status: 'pending' as const, createdAt: now, respondedAt: null }),
    );
    const result = await service.addMember(caller('u1'), 'acme', { user: 'U2@x.test' });
    if (!('invitation' in result)) throw new Error('expected an invitation');
    const stored = invitations.create.mock.calls[0][0];
    expect(result.invitation).toMatchObject({ invitee: 'u2@x.test', role: 'member', status: 'pending', org: 'acme' });
    expect(result.invitation.token).toMatch(/^phi_[A-Za-z0-9_-]{43}$/);
    expect(stored.tokenHash).toBe(createHash('sha256').update(result.invitation.token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(result.invitation.token);
  });

  it('answers an unknown email as it answers a known one: with an invitation', async () => {
    inAcme('u1', 'owner');
    members.find.mockResolvedValue(null);
    invitations.create.mockImplementation((input: NewInvitation, now: Date) =>
      Promise.resolve({ ...input, id: 'i1', status: 'pending' as const, createdAt: now, respondedAt: null }),
    );
    users.findByRef.mockResolvedValueOnce(person('u2')).mockResolvedValueOnce(null);
    // Everything but what differs by construction (the address given, the token, the times) is the same.
    const shape = (r: AddMemberResult) =>
      'invitation' in r ? { ...r.invitation, invitee: '', token: '', created_at: '', expires_at: '' } : r;
    const known = await service.addMember(caller('u1'), 'acme', { user: 'u2@x.test' });
    const unknown = await service.addMember(caller('u1'), 'acme', { user: 'ghost@x.test' });
    expect(shape(unknown)).toEqual(shape(known));
    expect('invitation' in unknown).toBe(true);
    // The same lookups either way: the time taken tells nothing either.
    expect(members.find).toHaveBeenCalledTimes(2);
  });

  it('refuses a user that is neither a user id nor an email address, naming the field', async () => {
    inAcme('u1', 'owner');
    await expect(service.addMember(caller('u1'), 'acme', { user: 'bob' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [{ field: 'user' }],
    });
  });

  it('keeps org admins from making owners', async () => {
    inAcme('u1', 'admin');
    await expect(service.addMember(caller('u1'), 'acme', { user: 'u2@x.test', role: 'owner' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'owners_only' },
    });
  });

  it('keeps org admins from demoting an owner', async () => {
    inAcme('u1', 'admin');
    users.findByRef.mockResolvedValue(person('u0'));
    members.find.mockResolvedValue(member('u0', 'owner'));
    await expect(service.addMember(caller('u1'), 'acme', { user: 'u0@x.test', role: 'member' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'owners_only' },
    });
  });

  it('lets owners make owners', async () => {
    inAcme('u1', 'owner');
    users.findByRef.mockResolvedValue(person('u2'));
    members.find.mockResolvedValue(member('u2', 'member'));
    members.upsert.mockResolvedValue(member('u2', 'owner'));
    expect(added(await service.addMember(caller('u1'), 'acme', { user: 'u2@x.test', role: 'owner' })).role).toBe(
      'owner',
    );
  });

  it('lets platform admins add members at once, owners too, to any organisation', async () => {
    users.findByRef.mockResolvedValue(person('u2'));
    members.find.mockResolvedValue(null);
    members.upsert.mockResolvedValue(member('u2', 'owner'));
    const result = await service.addMember(caller('root', ['admin']), 'acme', { user: 'u2@x.test', role: 'owner' });
    expect(added(result).role).toBe('owner');
  });

  it('keeps plain members from adding anyone', async () => {
    inAcme('u1', 'member');
    await expect(service.addMember(caller('u1'), 'acme', { user: 'u2@x.test' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not_manager' },
    });
  });

  it('shows outsiders the organisation as not found', async () => {
    await expect(service.addMember(caller('u9'), 'acme', { user: 'u2@x.test' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('names an unknown user as the bad field when a platform admin adds them', async () => {
    users.findByRef.mockResolvedValue(null);
    members.find.mockResolvedValue(null);
    await expect(service.addMember(caller('root', ['admin']), 'acme', { user: 'ghost@x.test' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [{ field: 'user' }],
    });
  });
});

describe('the slug as publisher name', () => {
  it('refuses a slug a user holds as handle, and removes the organisation again', async () => {
    orgs.create.mockResolvedValue(ORG);
    users.claimPublisherName.mockResolvedValue(false);
    orgs.delete.mockResolvedValue(undefined);
    await expect(service.create(caller('u1'), { slug: 'acme', name: 'Acme' })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'slug_taken' },
    });
    expect(orgs.delete).toHaveBeenCalledWith('o1');
  });

  it('gives the name back when the owner cannot be stored', async () => {
    orgs.create.mockResolvedValue(ORG);
    users.claimPublisherName.mockResolvedValue(true);
    members.upsert.mockRejectedValue(new Error('disk full'));
    users.releasePublisherName.mockResolvedValue(undefined);
    orgs.delete.mockResolvedValue(undefined);
    await expect(service.create(caller('u1'), { slug: 'acme', name: 'Acme' })).rejects.toThrow('disk full');
    expect(users.releasePublisherName).toHaveBeenCalledWith('acme', { type: 'org', id: 'o1' });
  });

  it('claims the slugs of organisations from before publisher names, then gives users their handles', async () => {
    orgs.pageAfter.mockResolvedValueOnce([ORG, { ...ORG, id: 'o2', slug: 'beta' }]).mockResolvedValueOnce([]);
    users.heldPublisherNames.mockResolvedValue(new Set(['beta']));
    users.claimPublisherName.mockResolvedValue(false);
    users.assignMissingHandles.mockResolvedValue(0);
    expect(await service.claimMissingPublisherNames()).toEqual(['acme']);
    expect(users.claimPublisherName).toHaveBeenCalledTimes(1);
    expect(users.assignMissingHandles).toHaveBeenCalledTimes(1);
  });
});
