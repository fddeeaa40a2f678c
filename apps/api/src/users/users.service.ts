import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, hasRole, type PageWindow, type PlatformRole, type Slice } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { PatchedUserDto } from './dto/patched-user.dto.js';
import type { UserListQueryDto } from './dto/user-list-query.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { UserRepository } from './persistence/user.repository.js';
import type { User } from './user.entity.js';
import { AdminOnlyChangeError, LastAdminError, userNotFound } from './users.errors.js';

/**
 * How long a user looked up for authentication may be reused. Every authenticated request needs its
 * user; re-reading it from the database each time costs most of a cheap route's throughput. Changes
 * made through this service invalidate the entry at once; on other API nodes a change (deactivation,
 * new roles) takes effect within this window.
 */
export const AUTH_USER_TTL_MS = 2000;
const AUTH_CACHE_MAX = 10_000;

export interface NewAccount {
  email: string;
  password: string;
  name: string;
  roles?: PlatformRole[];
}

/** Accounts: creation, credentials, the admin's user list and self-service changes. */
@Injectable()
export class UsersService {
  private readonly authCache = new Map<string, { user: User | null; expires: number }>();

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly access: AccessService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ---- for other modules ------------------------------------------------------------------------------------

  /** The user for an authenticated request, served from a short-lived cache (see AUTH_USER_TTL_MS). */
  async findForAuth(id: string): Promise<User | null> {
    const now = this.clock.nowMs();
    const hit = this.authCache.get(id);
    if (hit && hit.expires > now) return hit.user;
    const user = await this.users.findById(id);
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(id, { user, expires: now + AUTH_USER_TTL_MS });
    return user;
  }

  /**
   * The active user with this email and password, or null. An unknown email costs a full hash too, so the
   * answer's timing does not tell which accounts exist.
   */
  async checkCredentials(email: string, password: string): Promise<User | null> {
    const user = await this.users.findByEmail(email);
    if (!user) {
      await this.hasher.burn(password);
      return null;
    }
    const ok = await this.hasher.verify(password, user.passwordHash);
    return ok && user.isActive ? user : null;
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  /** A user by id or email address. */
  findByRef(ref: string): Promise<User | null> {
    return this.users.findByRef(ref);
  }

  findByIds(ids: string[]): Promise<User[]> {
    return this.users.findByIds(ids);
  }

  countWithRole(role: PlatformRole): Promise<number> {
    return this.users.countWithRole(role);
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update(id, { lastLoginAt: this.clock.now() });
    this.authCache.delete(id);
  }

  // ---- use cases behind the HTTP API ------------------------------------------------------------------------

  /** EmailTakenError when the address is in use (the unique index decides races). */
  async create(input: NewAccount): Promise<UserResponseDto> {
    const user = await this.users.create({
      email: input.email.toLowerCase(),
      name: input.name,
      passwordHash: await this.hasher.hash(input.password),
      roles: input.roles?.length ? input.roles : ['user'],
    });
    return UserResponseDto.from(user);
  }

  async list(query: UserListQueryDto, window: PageWindow): Promise<Slice<UserResponseDto>> {
    const slice = await this.users.list(
      { search: query.search, role: query.role, isActive: query.is_active },
      query.ordering ?? 'email',
      window,
    );
    return { count: slice.count, items: slice.items.map((u) => UserResponseDto.from(u)) };
  }

  /** Admins see everyone; other users see only themselves (anyone else is 404, not 403). */
  async get(caller: AuthUser, id: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.visible(caller, id));
  }

  async update(caller: AuthUser, id: string, dto: PatchedUserDto): Promise<UserResponseDto> {
    const target = await this.visible(caller, id);
    const isAdmin = hasRole(caller, 'admin');
    if (!isAdmin && (dto.roles !== undefined || dto.is_active !== undefined)) throw new AdminOnlyChangeError();
    const losesAdmin = dto.is_active === false || (dto.roles !== undefined && !dto.roles.includes('admin'));
    if (target.roles.includes('admin') && target.isActive && losesAdmin) await this.assertAnotherAdmin(target.id);
    const updated = await this.users.update(id, {
      name: dto.name,
      roles: dto.roles,
      isActive: dto.is_active,
      passwordHash: dto.password !== undefined ? await this.hasher.hash(dto.password) : undefined,
    });
    this.authCache.delete(id);
    if (!updated) throw userNotFound();
    return UserResponseDto.from(updated);
  }

  private async visible(caller: AuthUser, id: string): Promise<User> {
    if (!(await this.access.can(caller, 'read', { kind: 'user', id }))) throw userNotFound();
    const user = await this.users.findById(id);
    if (!user) throw userNotFound();
    return user;
  }

  /** An instance must never lose its last active admin through the API. */
  private async assertAnotherAdmin(excludeId: string): Promise<void> {
    if ((await this.users.countOtherActiveAdmins(excludeId)) === 0) throw new LastAdminError();
  }
}
