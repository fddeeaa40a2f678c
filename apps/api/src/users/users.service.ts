import { Injectable } from '@nestjs/common';
import {
  AppError,
  type AuthUser,
  forbidden,
  hasRole,
  notFound,
  orderingToSort,
  type PageWindow,
  type PlatformRole,
  type Slice,
} from '@app/common';
import { hashPassword } from '../auth/password.js';
import type { PatchedUserDto } from './dto/patched-user.dto.js';
import type { UserListQueryDto } from './dto/user-list-query.dto.js';
import type { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';

/**
 * How long a user looked up for authentication may be reused. Every authenticated request needs its
 * user; re-reading it from the database each time costs most of a cheap route's throughput. Changes
 * made through this service invalidate the entry at once; on other API nodes a change (deactivation,
 * new roles) takes effect within this window.
 */
export const AUTH_USER_TTL_MS = 2000;
const AUTH_CACHE_MAX = 10_000;

@Injectable()
export class UsersService {
  private readonly authCache = new Map<string, { user: User | null; expires: number }>();

  constructor(private readonly users: UserRepository) {}

  /** The user for an authenticated request, served from a short-lived cache (see AUTH_USER_TTL_MS). */
  async findForAuth(id: string): Promise<User | null> {
    const now = Date.now();
    const hit = this.authCache.get(id);
    if (hit && hit.expires > now) return hit.user;
    const user = await this.users.findById(id);
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(id, { user, expires: now + AUTH_USER_TTL_MS });
    return user;
  }

  async create(input: { email: string; password: string; name: string; roles?: PlatformRole[] }): Promise<User> {
    const email = input.email.toLowerCase();
    if (await this.users.findByEmail(email)) {
      throw new AppError('CONFLICT', 'A user with this email already exists.', [
        { field: 'email', message: 'is already taken' },
      ]);
    }
    try {
      return await this.users.create({
        email,
        name: input.name,
        passwordHash: await hashPassword(input.password),
        roles: input.roles?.length ? input.roles : ['user'],
      });
    } catch (err) {
      // Two concurrent sign-ups with one email: the unique index decides.
      if ((err as { code?: number }).code === 11000) {
        throw new AppError('CONFLICT', 'A user with this email already exists.', [
          { field: 'email', message: 'is already taken' },
        ]);
      }
      throw err;
    }
  }

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  findByIds(ids: string[]): Promise<User[]> {
    return this.users.findByIds(ids);
  }

  countWithRole(role: PlatformRole): Promise<number> {
    return this.users.countWithRole(role);
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update(id, { lastLoginAt: new Date() });
    this.authCache.delete(id);
  }

  list(query: UserListQueryDto, window: PageWindow): Promise<Slice<User>> {
    return this.users.list(
      { search: query.search, role: query.role, isActive: query.is_active },
      orderingToSort(query.ordering, 'email'),
      window.offset,
      window.limit,
    );
  }

  /** Admins see everyone; other users see only themselves (anyone else is 404, not 403). */
  async get(caller: AuthUser, id: string): Promise<User> {
    if (caller.id !== id && !hasRole(caller, 'admin')) throw notFound('User');
    const user = await this.users.findById(id);
    if (!user) throw notFound('User');
    return user;
  }

  async update(caller: AuthUser, id: string, dto: PatchedUserDto): Promise<User> {
    const target = await this.get(caller, id);
    const isAdmin = hasRole(caller, 'admin');
    if (!isAdmin && (dto.roles !== undefined || dto.is_active !== undefined)) {
      throw forbidden('Only platform admins can change roles or deactivate users.');
    }
    if (
      isAdmin &&
      caller.id === target.id &&
      (dto.is_active === false || (dto.roles && !dto.roles.includes('admin')))
    ) {
      await this.assertAnotherAdmin(target.id);
    }
    const updated = await this.users.update(id, {
      name: dto.name,
      roles: dto.roles,
      isActive: dto.is_active,
      passwordHash: dto.password !== undefined ? await hashPassword(dto.password) : undefined,
    });
    this.authCache.delete(id);
    if (!updated) throw notFound('User');
    return updated;
  }

  /** An instance must never lose its last active admin through the API. */
  private async assertAnotherAdmin(excludeId: string): Promise<void> {
    const admins = await this.users.list({ role: 'admin', isActive: true }, { _id: 1 }, 0, 2);
    if (!admins.items.some((u) => u.id !== excludeId)) {
      throw new AppError('CONFLICT', 'This is the last active admin; promote another admin first.');
    }
  }
}
