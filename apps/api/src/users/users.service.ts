import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, hasRole, type PageWindow, type PlatformRole, type Slice } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { PatchedUserDto } from './dto/patched-user.dto.js';
import type { UserListQueryDto } from './dto/user-list-query.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { PublisherNameRepository } from './persistence/publisher-name.repository.js';
import { UserRepository } from './persistence/user.repository.js';
import { handleFromEmail, type PublisherOwner, RESERVED_PUBLISHER_NAMES, type User } from './user.entity.js';
import {
  AdminOnlyChangeError,
  CurrentPasswordRequiredError,
  HandleTakenError,
  LastAdminError,
  userNotFound,
  WrongCurrentPasswordError,
} from './users.errors.js';

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
  handle?: string;
  roles?: PlatformRole[];
}

/** Derived handles try `base`, `base-2` … `base-<this>` before falling back to a random suffix. */
const DERIVED_HANDLE_TRIES = 20;

/** Accounts: creation, credentials, the admin's user list and self-service changes. */
@Injectable()
export class UsersService {
  private readonly authCache = new Map<string, { user: User | null; expires: number }>();
  /** The lookups in flight for the cache, by user id: the requests that miss together share one. */
  private readonly authLoads = new Map<string, Promise<User | null>>();

  constructor(
    private readonly users: UserRepository,
    private readonly names: PublisherNameRepository,
    private readonly hasher: PasswordHasher,
    private readonly access: AccessService,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  // ---- for other modules ------------------------------------------------------------------------------------

  /**
   * The user for an authenticated request, served from a short-lived cache (see AUTH_USER_TTL_MS): on a hit (most
   * requests) the cached answer itself, synchronously, so the guard's path makes no promise; else the lookup,
   * one for all the requests that miss while it runs (when an entry ages out under load, the requests in flight
   * would otherwise each read the same user).
   */
  findForAuth(id: string): User | null | Promise<User | null> {
    const now = this.clock.nowMs();
    const hit = this.authCache.get(id);
    if (hit && hit.expires > now) return hit.user;
    return this.authLoads.get(id) ?? this.loadForAuth(id, now);
  }

  /** Reads the user for the cache; a lookup overtaken by a change (forgetForAuth) answers but caches nothing. */
  private loadForAuth(id: string, now: number): Promise<User | null> {
    const load: Promise<User | null> = this.users.findById(id).then(
      (user) => {
        if (this.authLoads.get(id) === load) {
          this.authLoads.delete(id);
          if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
          this.authCache.set(id, { user, expires: now + AUTH_USER_TTL_MS });
        }
        return user;
      },
      (err: unknown) => {
        if (this.authLoads.get(id) === load) this.authLoads.delete(id);
        throw err;
      },
    );
    this.authLoads.set(id, load);
    return load;
  }

  /** A change to the user: the next request reads it again, also past a lookup already in flight. */
  private forgetForAuth(id: string): void {
    this.authCache.delete(id);
    this.authLoads.delete(id);
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

  countActiveAdmins(): Promise<number> {
    return this.users.countActiveAdmins();
  }

  /** Makes the user an active platform admin (start-up recovery when no active admin exists). */
  async promoteToAdmin(user: User): Promise<User | null> {
    const roles: PlatformRole[] = user.roles.includes('admin') ? user.roles : ['admin', ...user.roles];
    const updated = await this.users.update(user.id, { roles, isActive: true });
    this.forgetForAuth(user.id);
    return updated;
  }

  /** Who a plugin key's publisher segment belongs to: a user's handle or an organisation's slug, or nobody. */
  publisherOf(name: string): Promise<PublisherOwner | null> {
    return this.names.find(name);
  }

  /** Claims a publisher name for an organisation's slug; false when a user or another organisation has it. */
  claimPublisherName(name: string, owner: PublisherOwner): Promise<boolean> {
    if (RESERVED_PUBLISHER_NAMES.includes(name)) return Promise.resolve(false);
    return this.names.claim(name, owner);
  }

  /** The names of this list that a user or an organisation holds. */
  heldPublisherNames(names: string[]): Promise<Set<string>> {
    return this.names.held(names);
  }

  releasePublisherName(name: string, owner: PublisherOwner): Promise<void> {
    return this.names.release(name, owner);
  }

  /** Accounts created before handles existed get a derived one; run at start-up, after organisations claimed theirs. */
  async assignMissingHandles(): Promise<number> {
    let assigned = 0;
    for (;;) {
      const batch = await this.users.listWithoutHandle(100);
      if (!batch.length) return assigned;
      for (const user of batch) {
        await this.assignHandle(user, undefined);
        assigned++;
      }
    }
  }

  async recordLogin(id: string): Promise<void> {
    await this.users.update(id, { lastLoginAt: this.clock.now() });
    this.forgetForAuth(id);
  }

  // ---- use cases behind the HTTP API ------------------------------------------------------------------------

  /**
   * EmailTakenError when the address is in use, HandleTakenError when the handle asked for is (unique indexes
   * decide races). The account is stored first and its handle claimed under its id; an account whose handle
   * cannot be had is removed again.
   */
  async create(input: NewAccount): Promise<UserResponseDto> {
    const user = await this.users.create({
      email: input.email.toLowerCase(),
      name: input.name,
      passwordHash: await this.hasher.hash(input.password),
      roles: input.roles?.length ? input.roles : ['user'],
    });
    try {
      return UserResponseDto.from(await this.assignHandle(user, input.handle));
    } catch (err) {
      await this.users.delete(user.id);
      throw err;
    }
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

  /**
   * Changing your own password needs the current one; any password change ends the user's older JWTs. The
   * last-admin rule reads anything but an explicit `true` and a list holding `admin` as losing admin, so a null
   * that slipped past validation cannot lock the instance out.
   */
  async update(caller: AuthUser, id: string, dto: PatchedUserDto): Promise<UserResponseDto> {
    const target = await this.visible(caller, id);
    const isAdmin = hasRole(caller, 'admin');
    if (!isAdmin && (dto.roles !== undefined || dto.is_active !== undefined)) throw new AdminOnlyChangeError();
    const deactivates = dto.is_active !== undefined && dto.is_active !== true;
    const demotes = dto.roles !== undefined && !(Array.isArray(dto.roles) && dto.roles.includes('admin'));
    if (target.roles.includes('admin') && target.isActive && (deactivates || demotes)) {
      await this.assertAnotherAdmin(target.id);
    }
    if (dto.password !== undefined && target.id === caller.id) await this.assertCurrentPassword(target, dto);
    const updated = await this.users.update(
      id,
      {
        name: dto.name,
        roles: dto.roles,
        isActive: dto.is_active,
        passwordHash: dto.password !== undefined ? await this.hasher.hash(dto.password) : undefined,
      },
      { revokeSessions: dto.password !== undefined },
    );
    this.forgetForAuth(id);
    if (!updated) throw userNotFound();
    return UserResponseDto.from(updated);
  }

  private async visible(caller: AuthUser, id: string): Promise<User> {
    if (!(await this.access.can(caller, 'read', { kind: 'user', id }))) throw userNotFound();
    const user = await this.users.findById(id);
    if (!user) throw userNotFound();
    return user;
  }

  private async assertCurrentPassword(target: User, dto: PatchedUserDto): Promise<void> {
    if (dto.current_password === undefined) throw new CurrentPasswordRequiredError();
    if (!(await this.hasher.verify(dto.current_password, target.passwordHash))) throw new WrongCurrentPasswordError();
  }

  /** Gives the user the handle asked for (HandleTakenError when taken or reserved), or a derived free one. */
  private async assignHandle(user: User, wanted: string | undefined): Promise<User> {
    const owner: PublisherOwner = { type: 'user', id: user.id };
    let handle: string | null = null;
    if (wanted !== undefined) {
      if (!(await this.claimPublisherName(wanted, owner))) throw new HandleTakenError();
      handle = wanted;
    } else {
      const base = handleFromEmail(user.email);
      const candidates = Array.from({ length: DERIVED_HANDLE_TRIES }, (_, i) => (i === 0 ? base : `${base}-${i + 1}`));
      candidates.push(`${base}-${randomBytes(4).toString('hex')}`);
      for (const candidate of candidates) {
        if (await this.claimPublisherName(candidate, owner)) {
          handle = candidate;
          break;
        }
      }
      if (handle === null) throw new HandleTakenError();
    }
    if (!(await this.users.setMissingHandle(user.id, handle))) {
      await this.names.release(handle, owner);
      const current = await this.users.findById(user.id);
      if (!current) throw userNotFound();
      return current;
    }
    return { ...user, handle };
  }

  /** An instance must never lose its last active admin through the API. */
  private async assertAnotherAdmin(excludeId: string): Promise<void> {
    if ((await this.users.countOtherActiveAdmins(excludeId)) === 0) throw new LastAdminError();
  }
}
