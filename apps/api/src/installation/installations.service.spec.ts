import { describe, expect, it } from 'vitest';
import type { AuthUser } from '@app/common';
import { KeyedMutex } from '@app/runtime';
import { strictMock } from '@test/support/strict-mock.js';
import { TestClock } from '@test/support/clock.js';
import { AccessService } from '../auth/access.service.js';
import type { MembershipLookup } from '../auth/auth.ports.js';
import type { Installation } from './installation.entity.js';
import { InstallationRuntime } from './installation-runtime.js';
import { InstallationsService } from './installations.service.js';
import { InstallationRepository } from './persistence/installation.repository.js';

const caller = { id: 'u1', roles: ['user'] } as unknown as AuthUser;

/** InstallationsService over strict mocks, with the runtime's lock a real KeyedMutex and the repository a map. */
function harness() {
  const stored = new Map<string, Installation>();
  const repository = strictMock(InstallationRepository);
  repository.findInTarget.mockImplementation((key: string) => Promise.resolve(stored.get(key) ?? null));
  const access = strictMock(AccessService);
  access.resolveTarget.mockResolvedValue({ kind: 'user', id: caller.id });
  access.assert.mockResolvedValue(undefined);
  const runtime = strictMock(InstallationRuntime);
  const mutex = new KeyedMutex();
  const locked: string[] = [];
  runtime.exclusive.mockImplementation(<T>(id: string, task: () => Promise<T>) => {
    locked.push(id);
    return mutex.run(id, task);
  });
  const memberships = {} as MembershipLookup;
  const service = new InstallationsService(repository, access, runtime, memberships, new TestClock());
  return { service, stored, locked };
}

function installation(version: string): Installation {
  return { id: 'i1', pluginKey: 'acme.notes', installedVersion: version } as Installation;
}

describe('InstallationsService.whileManaging', () => {
  it('hands the task the installation as a change that held the lock before it left it', async () => {
    const { service, stored } = harness();
    stored.set('acme.notes', installation('1.0.0'));
    let release!: () => void;
    const first = service.whileManaging(caller, 'acme.notes', {}, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      stored.set('acme.notes', installation('2.0.0'));
    });
    const seen: string[] = [];
    const second = service.whileManaging(caller, 'acme.notes', {}, (found) => {
      seen.push(found.installedVersion);
      return Promise.resolve();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(seen).toEqual(['2.0.0']);
  });

  it('answers 404 for an installation the caller does not have before taking any lock', async () => {
    const { service, locked } = harness();
    await expect(service.whileManaging(caller, 'acme.notes', {}, () => Promise.resolve())).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
      details: { reason: 'not_installed' },
    });
    expect(locked).toEqual([]);
  });
});
