import { caller } from '@test/support/fixtures.js';
import { fastHasher } from '@test/support/hasher.js';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { PublisherNameRepository } from './persistence/publisher-name.repository.js';
import { UserRepository } from './persistence/user.repository.js';
import type { User } from './user.entity.js';
import { UsersService } from './users.service.js';

const user = (u: Partial<User> = {}): User => ({
  id: 'a1',
  email: 'a1@x.test',
  handle: 'a1',
  name: 'A',
  passwordHash: 'x',
  roles: ['admin'],
  isActive: true,
  tokenVersion: 0,
  lastLoginAt: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...u,
});

let repo: ReturnType<typeof strictMock<UserRepository>>;
let service: UsersService;
let clock: TestClock;

beforeEach(() => {
  repo = strictMock(UserRepository);
  clock = new TestClock();
  const access = new AccessService({ rolesOf: vi.fn(), findOrg: vi.fn() });
  service = new UsersService(repo, strictMock(PublisherNameRepository), fastHasher(), access, clock);
});

describe('the last-admin rule', () => {
  it('refuses to let the last active admin demote themselves', async () => {
    repo.findById.mockResolvedValue(user());
    repo.countOtherActiveAdmins.mockResolvedValue(0);
    await expect(service.update(caller('a1', ['admin']), 'a1', { roles: ['user'] })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'last_admin' },
    });
  });

  it('refuses to deactivate the last active admin', async () => {
    repo.findById.mockResolvedValue(user());
    repo.countOtherActiveAdmins.mockResolvedValue(0);
    await expect(service.update(caller('a1', ['admin']), 'a1', { is_active: false })).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'last_admin' },
    });
  });

  it('lets an admin step down while another active admin remains', async () => {
    repo.findById.mockResolvedValue(user());
    repo.countOtherActiveAdmins.mockResolvedValue(1);
    repo.update.mockResolvedValue(user({ roles: ['user'] }));
    expect((await service.update(caller('a1', ['admin']), 'a1', { roles: ['user'] })).roles).toEqual(['user']);
  });

  it('does not count admins for changes that keep the admin role', async () => {
    repo.findById.mockResolvedValue(user());
    repo.update.mockResolvedValue(user({ name: 'B' }));
    expect((await service.update(caller('a1', ['admin']), 'a1', { name: 'B', roles: ['admin'] })).name).toBe('B');
  });
});

describe('UsersService rules', () => {
  it('keeps roles and activation for platform admins', async () => {
    repo.findById.mockResolvedValue(user({ id: 'u1', roles: ['user'] }));
    await expect(service.update(caller('u1'), 'u1', { roles: ['admin'] })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'admin_only' },
    });
  });

  it('shows other users as not found, not forbidden', async () => {
    await expect(service.get(caller('u1'), 'a1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('accepts the right password of an active user', async () => {
    const hash = await fastHasher().hash('right password');
    repo.findByEmail.mockResolvedValue(user({ passwordHash: hash }));
    expect((await service.checkCredentials('a1@x.test', 'right password'))?.id).toBe('a1');
  });

  it('refuses the right password of a deactivated user', async () => {
    const hash = await fastHasher().hash('right password');
    repo.findByEmail.mockResolvedValue(user({ passwordHash: hash, isActive: false }));
    expect(await service.checkCredentials('a1@x.test', 'right password')).toBeNull();
  });

  it('refuses an unknown email', async () => {
    repo.findByEmail.mockResolvedValue(null);
    expect(await service.checkCredentials('ghost@x.test', 'whatever')).toBeNull();
  });

  it('serves an authenticated user from its cache until the cache entry ages out', async () => {
    repo.findById.mockResolvedValue(user());
    const first = await service.findForAuth('a1');
    // A hit is the cached user itself, not a promise of it: the guard's path makes none.
    expect(service.findForAuth('a1')).toBe(first);
    clock.advance(2001);
    const aged = service.findForAuth('a1');
    expect(aged).toBeInstanceOf(Promise);
    await aged;
    expect(repo.findById).toHaveBeenCalledTimes(2);
  });

  it('makes one lookup for the requests that miss together, and caches what it read', async () => {
    let answer!: (found: User) => void;
    repo.findById.mockReturnValueOnce(new Promise<User>((resolve) => (answer = resolve)));
    // Misses: each answer is a promise.
    const waiting = [1, 2, 3].map(() => service.findForAuth('a1') as Promise<User | null>);
    expect(repo.findById).toHaveBeenCalledTimes(1);
    answer(user());
    const found = await Promise.all(waiting);
    expect(new Set(found).size).toBe(1);
    expect(service.findForAuth('a1')).toBe(found[0]);
    expect(repo.findById).toHaveBeenCalledTimes(1);
  });

  it('reads a user changed during a lookup again, and leaves the overtaken answer out of the cache', async () => {
    const before = user();
    const after = user({ lastLoginAt: new Date('2026-02-02T00:00:00Z') });
    let answer!: (found: User) => void;
    repo.findById.mockReturnValueOnce(new Promise<User>((resolve) => (answer = resolve)));
    repo.findById.mockResolvedValueOnce(after);
    repo.update.mockResolvedValue(after);
    const overtaken = service.findForAuth('a1');
    await service.recordLogin('a1');
    const fresh = service.findForAuth('a1');
    expect(repo.findById).toHaveBeenCalledTimes(2);
    answer(before);
    expect(await overtaken).toBe(before);
    expect(await fresh).toBe(after);
    expect(service.findForAuth('a1')).toBe(after);
  });

  it('lets the next request try again after a lookup failed', async () => {
    repo.findById.mockRejectedValueOnce(new Error('database gone'));
    repo.findById.mockResolvedValueOnce(user());
    await expect(service.findForAuth('a1')).rejects.toThrow();
    expect(await service.findForAuth('a1')).toMatchObject({ id: 'a1' });
    expect(repo.findById).toHaveBeenCalledTimes(2);
  });
});

describe('null-safe admin checks', () => {
  it('reads an is_active that is neither true nor false as deactivating the last admin', async () => {
    repo.findById.mockResolvedValue(user());
    repo.countOtherActiveAdmins.mockResolvedValue(0);
    const dto = { is_active: null } as unknown as { is_active: boolean };
    await expect(service.update(caller('a1', ['admin']), 'a1', dto)).rejects.toMatchObject({
      details: { reason: 'last_admin' },
    });
  });

  it('reads roles that are not a list as demoting the last admin', async () => {
    repo.findById.mockResolvedValue(user());
    repo.countOtherActiveAdmins.mockResolvedValue(0);
    const dto = { roles: null } as unknown as { roles: ['user'] };
    await expect(service.update(caller('a1', ['admin']), 'a1', dto)).rejects.toMatchObject({
      details: { reason: 'last_admin' },
    });
  });
});

describe('changing a password', () => {
  it('needs the current one when it is your own', async () => {
    repo.findById.mockResolvedValue(user({ id: 'u1', roles: ['user'] }));
    await expect(service.update(caller('u1'), 'u1', { password: 'new-password-1' })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { reason: 'current_password_required' },
    });
  });

  it('refuses a wrong current password', async () => {
    repo.findById.mockResolvedValue(user({ id: 'u1', roles: ['user'], passwordHash: await fastHasher().hash('old') }));
    const dto = { password: 'new-password-1', current_password: 'not-old' };
    await expect(service.update(caller('u1'), 'u1', dto)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'wrong_current_password' },
    });
  });

  it('ends the older sessions of the user whose password changed', async () => {
    repo.findById.mockResolvedValue(user({ id: 'u1', roles: ['user'], passwordHash: await fastHasher().hash('old') }));
    repo.update.mockResolvedValue(user({ id: 'u1', roles: ['user'] }));
    await service.update(caller('u1'), 'u1', { password: 'new-password-1', current_password: 'old' });
    expect(repo.update).toHaveBeenCalledWith('u1', expect.objectContaining({}), { revokeSessions: true });
  });

  it('lets an admin set another user’s password without knowing it', async () => {
    repo.findById.mockResolvedValue(user({ id: 'u1', roles: ['user'] }));
    repo.update.mockResolvedValue(user({ id: 'u1', roles: ['user'] }));
    await service.update(caller('a1', ['admin']), 'u1', { password: 'new-password-1' });
    expect(repo.update).toHaveBeenCalledWith('u1', expect.objectContaining({}), { revokeSessions: true });
  });
});
