import { createHash } from 'node:crypto';
import type { OrgRole } from '@app/common';
import { TestClock } from '@test/support/clock.js';
import { caller } from '@test/support/fixtures.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { InvitationsService } from './invitations.service.js';
import type { Invitation, InvitationStatus, Organisation } from './org.entity.js';
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
const TOKEN = 'phi_secret-token';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let orgs: ReturnType<typeof strictMock<OrgRepository>>;
let members: ReturnType<typeof strictMock<MembershipRepository>>;
let invitations: ReturnType<typeof strictMock<InvitationRepository>>;
let roles: Map<string, Map<string, OrgRole>>;
let service: InvitationsService;

beforeEach(() => {
  orgs = strictMock(OrgRepository);
  members = strictMock(MembershipRepository);
  invitations = strictMock(InvitationRepository);
  roles = new Map();
  const access = new AccessService({
    rolesOf: vi.fn((id: string) => Promise.resolve(roles.get(id) ?? new Map<string, OrgRole>())),
    findOrg: vi.fn(),
  });
  service = new InvitationsService(orgs, members, invitations, access, new TestClock());
  orgs.findById.mockResolvedValue(ORG);
  orgs.findByRef.mockResolvedValue(ORG);
});

const invitation = (status: InvitationStatus = 'pending', invitee = 'u2@x.test'): Invitation => ({
  id: 'i1',
  orgId: 'o1',
  invitee,
  role: 'admin',
  status,
  invitedBy: 'u1',
  createdAt: new Date(0),
  expiresAt: new Date(Date.now() + 60_000),
  respondedAt: null,
});

describe('InvitationsService.accept', () => {
  it('finds the invitation by the hash of its token and joins with its role', async () => {
    invitations.findByTokenHash.mockResolvedValue(invitation());
    invitations.close.mockResolvedValue(invitation('accepted'));
    members.addIfAbsent.mockResolvedValue({ orgId: 'o1', userId: 'u2', role: 'admin', joinedAt: new Date(0) });
    const joined = await service.accept(caller('u2'), TOKEN);
    expect(invitations.findByTokenHash).toHaveBeenCalledWith(sha256(TOKEN), expect.any(Date));
    expect(members.addIfAbsent).toHaveBeenCalledWith('o1', 'u2', 'admin');
    expect(joined).toMatchObject({ user_id: 'u2', role: 'admin' });
  });

  it('accepts an invitation addressed to the user id as well', async () => {
    invitations.findByTokenHash.mockResolvedValue(invitation('pending', 'u2'));
    invitations.close.mockResolvedValue(invitation('accepted'));
    members.addIfAbsent.mockResolvedValue({ orgId: 'o1', userId: 'u2', role: 'admin', joinedAt: new Date(0) });
    expect((await service.accept(caller('u2'), TOKEN)).role).toBe('admin');
  });

  it.each([
    ['an unknown token', null],
    ["another account's invitation", invitation('pending', 'someone@x.test')],
    ["another account's answered invitation", invitation('accepted', 'someone@x.test')],
  ])('answers not found for %s, changing nothing', async (_what, found) => {
    invitations.findByTokenHash.mockResolvedValue(found);
    await expect(service.accept(caller('u2'), TOKEN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    ['accepted', 'invitation_closed'],
    ['declined', 'invitation_closed'],
    ['revoked', 'invitation_closed'],
    ['expired', 'invitation_expired'],
  ] as const)('refuses an invitation that is %s (%s)', async (status, reason) => {
    invitations.findByTokenHash.mockResolvedValue(invitation(status));
    await expect(service.accept(caller('u2'), TOKEN)).rejects.toMatchObject({ code: 'CONFLICT', details: { reason } });
  });

  it('loses to an answer that came first, joining nothing', async () => {
    invitations.findByTokenHash.mockResolvedValueOnce(invitation()).mockResolvedValueOnce(invitation('declined'));
    invitations.close.mockResolvedValue(null);
    await expect(service.accept(caller('u2'), TOKEN)).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'invitation_closed', status: 'declined' },
    });
  });
});

describe('InvitationsService.revoke', () => {
  it('is for owners and admins of the organisation', async () => {
    roles.set('u3', new Map([['o1', 'member']]));
    await expect(service.revoke(caller('u3'), 'acme', 'i1')).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not_manager' },
    });
  });

  it('closes a pending invitation as revoked', async () => {
    roles.set('u1', new Map([['o1', 'admin']]));
    invitations.findInOrg.mockResolvedValue(invitation());
    invitations.close.mockResolvedValue(invitation('revoked'));
    await service.revoke(caller('u1'), 'acme', 'i1');
    expect(invitations.close).toHaveBeenCalledWith('i1', 'revoked', expect.any(Date));
  });

  it('refuses one already answered', async () => {
    roles.set('u1', new Map([['o1', 'owner']]));
    invitations.findInOrg.mockResolvedValue(invitation('accepted'));
    await expect(service.revoke(caller('u1'), 'acme', 'i1')).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'invitation_closed', status: 'accepted' },
    });
  });
});
