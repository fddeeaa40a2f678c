import { Injectable } from '@nestjs/common';
import {
  AppError,
  type AuthUser,
  forbidden,
  hasRole,
  notFound,
  type OrgRole,
  type PageWindow,
  type Slice,
} from '@app/common';
import { isValidObjectId } from 'mongoose';
import { UsersService } from '../users/users.service.js';
import type { AddMemberDto, CreateOrgDto } from './dto/org.dto.js';
import { type Membership, type Organisation, OrgRepository } from './org.repository.js';

export interface OrgView {
  org: Organisation;
  myRole: OrgRole | null;
}

const MANAGERS: OrgRole[] = ['owner', 'admin'];

@Injectable()
export class OrgsService {
  constructor(
    private readonly orgs: OrgRepository,
    private readonly users: UsersService,
  ) {}

  async create(caller: AuthUser, dto: CreateOrgDto): Promise<OrgView> {
    if (await this.orgs.findBySlug(dto.slug)) {
      throw new AppError('CONFLICT', 'An organisation with this slug already exists.', [
        { field: 'slug', message: 'is already taken' },
      ]);
    }
    const org = await this.orgs.create({ ...dto, description: dto.description ?? '', createdBy: caller.id });
    try {
      await this.orgs.upsertMember(org.id, caller.id, 'owner');
    } catch (err) {
      // Never leave an organisation without its owner.
      await this.orgs.deleteOrg(org.id);
      throw err;
    }
    return { org, myRole: 'owner' };
  }

  async list(caller: AuthUser, search: string | undefined, window: PageWindow): Promise<Slice<OrgView>> {
    const isAdmin = hasRole(caller, 'admin');
    const slice = await this.orgs.list(
      { memberOf: isAdmin ? undefined : caller.id, search },
      window.offset,
      window.limit,
    );
    const roles = new Map((await this.orgs.membershipsOf(caller.id)).map((m) => [m.orgId, m.role]));
    return { count: slice.count, items: slice.items.map((org) => ({ org, myRole: roles.get(org.id) ?? null })) };
  }

  /** The organisation if the caller may see it (member or platform admin); 404 otherwise. */
  async get(caller: AuthUser, slug: string): Promise<OrgView> {
    const org = await this.orgs.findBySlug(slug);
    if (!org) throw notFound('Organisation');
    const membership = await this.orgs.membership(org.id, caller.id);
    if (!membership && !hasRole(caller, 'admin')) throw notFound('Organisation');
    return { org, myRole: membership?.role ?? null };
  }

  /** The caller's role in an organisation (by slug or id), or null; used by other modules. */
  async roleOf(userId: string, orgSlugOrId: string): Promise<{ org: Organisation; role: OrgRole } | null> {
    const org = (await this.orgs.findBySlug(orgSlugOrId)) ?? (await this.orgs.findById(orgSlugOrId));
    if (!org) return null;
    const membership = await this.orgs.membership(org.id, userId);
    return membership ? { org, role: membership.role } : null;
  }

  async findById(id: string): Promise<Organisation | null> {
    return this.orgs.findById(id);
  }

  async membershipsOf(userId: string): Promise<Membership[]> {
    return this.orgs.membershipsOf(userId);
  }

  async listMembers(caller: AuthUser, slug: string, window: PageWindow) {
    const { org } = await this.get(caller, slug);
    const slice = await this.orgs.listMembers(org.id, window.offset, window.limit);
    const users = new Map((await this.users.findByIds(slice.items.map((m) => m.userId))).map((u) => [u.id, u]));
    return { count: slice.count, items: slice.items.map((m) => ({ membership: m, user: users.get(m.userId) })) };
  }

  async addMember(caller: AuthUser, slug: string, dto: AddMemberDto) {
    const view = await this.get(caller, slug);
    this.assertManager(caller, view);
    const role = dto.role ?? 'member';
    if (role === 'owner' && view.myRole !== 'owner' && !hasRole(caller, 'admin')) {
      throw forbidden('Only owners can make someone an owner.');
    }
    const user = isValidObjectId(dto.user)
      ? await this.users.findById(dto.user)
      : await this.users.findByEmail(dto.user);
    if (!user) throw new AppError('VALIDATION_ERROR', 'No such user.', [{ field: 'user', message: 'does not exist' }]);
    const existing = await this.orgs.membership(view.org.id, user.id);
    if (existing?.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(view.org.id);
    const membership = await this.orgs.upsertMember(view.org.id, user.id, role);
    return { membership, user, created: !existing };
  }

  async removeMember(caller: AuthUser, slug: string, userId: string): Promise<void> {
    const view = await this.get(caller, slug);
    // Anyone may leave; removing others takes an owner or org admin.
    if (userId !== caller.id) this.assertManager(caller, view);
    const target = isValidObjectId(userId) ? await this.orgs.membership(view.org.id, userId) : null;
    if (!target) throw notFound('Member');
    if (target.role === 'owner') {
      if (view.myRole !== 'owner' && !hasRole(caller, 'admin') && userId !== caller.id) {
        throw forbidden('Only owners can remove an owner.');
      }
      await this.assertAnotherOwner(view.org.id);
    }
    await this.orgs.removeMember(view.org.id, userId);
  }

  private assertManager(caller: AuthUser, view: OrgView): void {
    if (hasRole(caller, 'admin')) return;
    if (!view.myRole || !MANAGERS.includes(view.myRole)) {
      throw forbidden('Only organisation owners and admins can manage members.');
    }
  }

  private async assertAnotherOwner(orgId: string): Promise<void> {
    if ((await this.orgs.countOwners(orgId)) < 2) {
      throw new AppError('CONFLICT', 'An organisation must keep at least one owner.');
    }
  }
}
