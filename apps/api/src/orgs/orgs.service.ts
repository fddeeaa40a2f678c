import { Injectable } from '@nestjs/common';
import { type AuthUser, type OrgRole, type PageWindow, type Slice, validationError } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { AccessTarget } from '../auth/auth.entity.js';
import { UsersService } from '../users/users.service.js';
import type { CreatedInvitationResponseDto } from './dto/invitation.dto.js';
import { type AddMemberDto, MemberResponseDto } from './dto/member.dto.js';
import { type CreateOrgDto, OrgResponseDto } from './dto/org.dto.js';
import type { Organisation } from './org.entity.js';
import {
  LastOwnerError,
  memberNotFound,
  NotOrgManagerError,
  orgNotFound,
  OrgSlugTakenError,
  OwnersOnlyError,
  UnknownUserError,
} from './orgs.errors.js';
import { InvitationsService } from './invitations.service.js';
import { MembershipRepository } from './persistence/membership.repository.js';
import { OrgRepository } from './persistence/org.repository.js';

export type AddMemberResult = { member: MemberResponseDto } | { invitation: CreatedInvitationResponseDto };

const OBJECT_ID = /^[0-9a-f]{24}$/i;
const EMAIL = /^[^@\s]+@[^@\s]+$/;
/** A well-formed user id no account has (ObjectIds are never all zeros). */
const NOBODY = '000000000000000000000000';

/** Whom an invitation is for: a user id or an email address, lower-cased. */
function inviteeOf(user: string): string {
  if (!OBJECT_ID.test(user) && !EMAIL.test(user)) {
    throw validationError([{ field: 'user', message: 'must be a user id or an email address' }]);
  }
  return user.toLowerCase();
}

interface VisibleOrg {
  org: Organisation;
  target: AccessTarget;
  myRole: OrgRole | null;
}

/**
 * Organisations and their members. Who may do what comes from AccessService: members read an organisation,
 * owners and admins manage its members (new ones by invitation), owners make, change and remove owners, whatever
 * the route; an organisation always keeps one.
 */
@Injectable()
export class OrgsService {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly members: MembershipRepository,
    private readonly users: UsersService,
    private readonly access: AccessService,
    private readonly invitations: InvitationsService,
  ) {}

  // ---- for other modules ------------------------------------------------------------------------------------

  findByIds(ids: string[]): Promise<Organisation[]> {
    return this.orgs.findByIds(ids);
  }

  /**
   * Start-up pass for data from before publisher names existed: every organisation's slug is claimed as its
   * publisher name (organisations first, as their slugs already were key prefixes), then users without a handle
   * get a derived one. Idempotent, and safe with several nodes starting at once (the claims meet on `_id`).
   * Returns the slugs it could not claim (a user's handle or a reserved name).
   */
  async claimMissingPublisherNames(): Promise<string[]> {
    const unclaimable: string[] = [];
    for (let after: string | null = null; ;) {
      const batch = await this.orgs.pageAfter(after, 500);
      if (!batch.length) break;
      const held = await this.users.heldPublisherNames(batch.map((o) => o.slug));
      for (const org of batch.filter((o) => !held.has(o.slug))) {
        if (!(await this.users.claimPublisherName(org.slug, { type: 'org', id: org.id }))) unclaimable.push(org.slug);
      }
      after = batch[batch.length - 1].id;
    }
    await this.users.assignMissingHandles();
    return unclaimable;
  }

  // ---- use cases behind the HTTP API ------------------------------------------------------------------------

  /**
   * The slug is also the publisher name of the organisation's plugin keys, so it must be free among user handles
   * too (and not reserved): OrgSlugTakenError either way, with nothing left behind.
   */
  async create(caller: AuthUser, dto: CreateOrgDto): Promise<OrgResponseDto> {
    const org = await this.orgs.create({ ...dto, description: dto.description ?? '', createdBy: caller.id });
    const owner = { type: 'org' as const, id: org.id };
    let claimed = false;
    try {
      claimed = await this.users.claimPublisherName(org.slug, owner);
      if (!claimed) throw new OrgSlugTakenError();
      await this.members.upsert(org.id, caller.id, 'owner');
    } catch (err) {
      // Never leave an organisation without its owner, nor its name claimed for nothing.
      if (claimed) await this.users.releasePublisherName(org.slug, owner);
      await this.orgs.delete(org.id);
      throw err;
    }
    this.access.forget(caller);
    return OrgResponseDto.from(org, 'owner');
  }

  /** Organisations the caller belongs to; all of them for platform admins. */
  async list(caller: AuthUser, search: string | undefined, window: PageWindow): Promise<Slice<OrgResponseDto>> {
    const viewer = await this.access.viewer(caller);
    const slice = await this.orgs.list(
      { ids: viewer.isAdmin ? undefined : [...viewer.orgRoles.keys()], search },
      window,
    );
    return {
      count: slice.count,
      items: slice.items.map((org) => OrgResponseDto.from(org, viewer.orgRoles.get(org.id) ?? null)),
    };
  }

  async get(caller: AuthUser, slug: string): Promise<OrgResponseDto> {
    const { org, myRole } = await this.visible(caller, slug);
    return OrgResponseDto.from(org, myRole);
  }

  async listMembers(caller: AuthUser, slug: string, window: PageWindow): Promise<Slice<MemberResponseDto>> {
    const { org } = await this.visible(caller, slug);
    const slice = await this.members.list(org.id, window);
    const users = new Map((await this.users.findByIds(slice.items.map((m) => m.userId))).map((u) => [u.id, u]));
    return { count: slice.count, items: slice.items.map((m) => MemberResponseDto.from(m, users.get(m.userId))) };
  }

  /**
   * Changes an existing member's role, or invites someone who is not a member: an invitation they accept, so nobody
   * is made a member (or an owner) without saying yes. The invitation is addressed to what was given, an email
   * address or a user id, whether or not an account has it: the answer is the same either way. Platform admins
   * add the member at once.
   */
  async addMember(caller: AuthUser, slug: string, dto: AddMemberDto): Promise<AddMemberResult> {
    const { org, target } = await this.visible(caller, slug);
    await this.access.assert(caller, 'manage', target, () => new NotOrgManagerError());
    const role = dto.role ?? 'member';
    if (role === 'owner') await this.access.assert(caller, 'own', target, () => new OwnersOnlyError());
    const invitee = inviteeOf(dto.user);
    const user = await this.users.findByRef(dto.user);
    // The membership lookup runs for an unknown address too, so the answer takes as long either way.
    const existing = await this.members.find(org.id, user?.id ?? NOBODY);
    if (!existing && !(await this.access.viewer(caller)).isAdmin) {
      return { invitation: await this.invitations.invite(caller, org, invitee, role) };
    }
    if (!user) throw new UnknownUserError();
    if (existing?.role === 'owner' && role !== 'owner') {
      await this.access.assert(caller, 'own', target, () => new OwnersOnlyError());
      await this.assertAnotherOwner(org.id);
    }
    const membership = await this.members.upsert(org.id, user.id, role);
    if (user.id === caller.id) this.access.forget(caller);
    return { member: MemberResponseDto.from(membership, user) };
  }

  /** Owners and org admins remove members; anyone may leave. The last owner stays. */
  async removeMember(caller: AuthUser, slug: string, userId: string): Promise<void> {
    const { org, target } = await this.visible(caller, slug);
    const self = userId === caller.id;
    if (!self) await this.access.assert(caller, 'manage', target, () => new NotOrgManagerError());
    const member = await this.members.find(org.id, userId);
    if (!member) throw memberNotFound();
    if (member.role === 'owner') {
      if (!self) await this.access.assert(caller, 'own', target, () => new OwnersOnlyError());
      await this.assertAnotherOwner(org.id);
    }
    await this.members.remove(org.id, userId);
    if (self) this.access.forget(caller);
  }

  /** The organisation (by slug or id) if the caller may see it (member or platform admin); 404 otherwise. */
  private async visible(caller: AuthUser, slug: string): Promise<VisibleOrg> {
    const org = await this.orgs.findByRef(slug);
    const target: AccessTarget | null = org ? { kind: 'org', id: org.id } : null;
    if (!org || !target || !(await this.access.can(caller, 'read', target))) throw orgNotFound();
    const viewer = await this.access.viewer(caller);
    return { org, target, myRole: viewer.orgRoles.get(org.id) ?? null };
  }

  private async assertAnotherOwner(orgId: string): Promise<void> {
    if ((await this.members.countOwners(orgId)) < 2) throw new LastOwnerError();
  }
}
