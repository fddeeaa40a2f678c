import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, type PageWindow, type Slice } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import { CreatedInvitationResponseDto, InvitationResponseDto } from './dto/invitation.dto.js';
import { MemberResponseDto } from './dto/member.dto.js';
import type { Invitation, InvitationStatus, Organisation, OrgRole } from './org.entity.js';
import {
  InvitationClosedError,
  InvitationExpiredError,
  invitationNotFound,
  NotOrgManagerError,
  orgNotFound,
} from './orgs.errors.js';
import { InvitationRepository } from './persistence/invitation.repository.js';
import { MembershipRepository } from './persistence/membership.repository.js';
import { OrgRepository } from './persistence/org.repository.js';

export const INVITATION_TOKEN_PREFIX = 'phi_';
/** How long an invitation can be accepted. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Invitations to organisations. Owners and admins of an organisation invite (OrgsService.addMember decides when);
 * the invitee answers with the token the inviter was shown once, from the account the invitation is addressed to.
 * A token that is unknown, or meant for another account, is not found: it tells nothing about the invitation.
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly members: MembershipRepository,
    private readonly invitations: InvitationRepository,
    private readonly access: AccessService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** A new invitation to `org` (the caller's right to invite was checked), with its token; shown only now. */
  async invite(
    caller: AuthUser,
    org: Organisation,
    invitee: string,
    role: OrgRole,
  ): Promise<CreatedInvitationResponseDto> {
    const token = INVITATION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const invitation = await this.invitations.create(
      {
        orgId: org.id,
        invitee,
        role,
        tokenHash: hashToken(token),
        invitedBy: caller.id,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      },
      now,
    );
    return CreatedInvitationResponseDto.fromCreated(invitation, org, token);
  }

  /** An organisation's invitations, for its owners and admins. */
  async listForOrg(
    caller: AuthUser,
    slug: string,
    status: InvitationStatus | undefined,
    window: PageWindow,
  ): Promise<Slice<InvitationResponseDto>> {
    const org = await this.managed(caller, slug);
    const slice = await this.invitations.list({ orgId: org.id, status }, window, this.clock.now());
    return { count: slice.count, items: slice.items.map((i) => InvitationResponseDto.from(i, org)) };
  }

  /** The invitations addressed to the caller: to their user id or their email address. */
  async listMine(
    caller: AuthUser,
    status: InvitationStatus | undefined,
    window: PageWindow,
  ): Promise<Slice<InvitationResponseDto>> {
    const invitees = [caller.id, caller.email.toLowerCase()];
    const slice = await this.invitations.list({ invitees, status }, window, this.clock.now());
    const orgs = new Map(
      (await this.orgs.findByIds([...new Set(slice.items.map((i) => i.orgId))])).map((o) => [o.id, o]),
    );
    return { count: slice.count, items: slice.items.map((i) => InvitationResponseDto.from(i, orgs.get(i.orgId))) };
  }

  /** Joins the organisation with the invitation's role; a member already keeps the role they have. */
  async accept(caller: AuthUser, token: string): Promise<MemberResponseDto> {
    const invitation = await this.answerable(caller, token);
    const org = await this.orgs.findById(invitation.orgId);
    if (!org) throw invitationNotFound();
    await this.close(caller, token, invitation, 'accepted');
    const membership = await this.members.addIfAbsent(org.id, caller.id, invitation.role);
    this.access.forget(caller);
    return MemberResponseDto.from(membership, caller);
  }

  async decline(caller: AuthUser, token: string): Promise<void> {
    const invitation = await this.answerable(caller, token);
    await this.close(caller, token, invitation, 'declined');
  }

  /** Owners and admins withdraw a pending invitation; its token stops working. */
  async revoke(caller: AuthUser, slug: string, id: string): Promise<void> {
    const org = await this.managed(caller, slug);
    const invitation = await this.invitations.findInOrg(org.id, id, this.clock.now());
    if (!invitation) throw invitationNotFound();
    assertPending(invitation);
    if (!(await this.invitations.close(invitation.id, 'revoked', this.clock.now()))) {
      const again = await this.invitations.findInOrg(org.id, id, this.clock.now());
      if (again) assertPending(again);
      throw new InvitationClosedError('answered');
    }
  }

  /** The pending invitation this token opens, if it is addressed to the caller. */
  private async answerable(caller: AuthUser, token: string): Promise<Invitation> {
    const invitation = await this.invitations.findByTokenHash(hashToken(token), this.clock.now());
    const addressed = invitation && [caller.id, caller.email.toLowerCase()].includes(invitation.invitee);
    if (!invitation || !addressed) throw invitationNotFound();
    assertPending(invitation);
    return invitation;
  }

  /** Closes it unless another answer (or its expiry) came first, in which case that is the error. */
  private async close(
    caller: AuthUser,
    token: string,
    invitation: Invitation,
    status: 'accepted' | 'declined',
  ): Promise<void> {
    if (await this.invitations.close(invitation.id, status, this.clock.now())) return;
    await this.answerable(caller, token);
    throw new InvitationClosedError('answered');
  }

  private async managed(caller: AuthUser, slug: string): Promise<Organisation> {
    const org = await this.orgs.findByRef(slug);
    const target = org ? { kind: 'org' as const, id: org.id } : null;
    if (!org || !target || !(await this.access.can(caller, 'read', target))) throw orgNotFound();
    await this.access.assert(caller, 'manage', target, () => new NotOrgManagerError());
    return org;
  }
}

function assertPending(invitation: Invitation): void {
  if (invitation.status === 'expired') throw new InvitationExpiredError(invitation.expiresAt);
  if (invitation.status !== 'pending') throw new InvitationClosedError(invitation.status);
}
