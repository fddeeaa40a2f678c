import { caller, pluginFixture } from '@test/support/fixtures.js';
import { TestClock } from '@test/support/clock.js';
import { FakeInstallations } from '@test/support/installations.js';
import { strictMock } from '@test/support/strict-mock.js';
import { describe, expect, it } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { OrgsService } from '../orgs/orgs.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { RegistryWriteEpoch } from './persistence/registry-epoch.js';
import { INSTALL_COUNT_TTL_MS, OWNER_NAME_TTL_MS, PluginViews } from './plugin-views.js';
import { RegistryInstallations } from './registry-installations.js';

const user = (id: string, name: string): User => ({
  id,
  email: `${id}@plughub.test`,
  handle: id,
  name,
  passwordHash: 'x',
  roles: ['user'],
  isActive: true,
  tokenVersion: 0,
  lastLoginAt: null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

function setup() {
  const users = strictMock(UsersService);
  users.findByIds.mockResolvedValue([user('owner', 'Olga')]);
  const installed = new FakeInstallations();
  installed.counts.set('owner.x', 1);
  let generation = 0;
  const epoch = strictMock(RegistryWriteEpoch);
  epoch.current.mockImplementation(() => Promise.resolve(generation));
  epoch.written.mockImplementation(() => Promise.resolve(void generation++));
  const clock = new TestClock();
  const access = new AccessService({ rolesOf: () => Promise.resolve(new Map()), findOrg: () => Promise.resolve(null) });
  const installations = new RegistryInstallations(installed, access, clock);
  const views = new PluginViews(users, strictMock(OrgsService), installations, epoch, clock);
  const plugin = pluginFixture({ key: 'owner.x', ownerId: 'owner' });
  const render = async () => (await views.responses([plugin], caller('u1')))[0];
  return { users, installed, epoch, clock, views, render };
}

describe('PluginViews', () => {
  it('reads an owner’s name once within OWNER_NAME_TTL_MS, and again after it', async () => {
    const { users, clock, render } = setup();
    expect((await render()).owner.name).toBe('Olga');
    users.findByIds.mockResolvedValue([user('owner', 'Olga Renamed')]);
    expect((await render()).owner.name).toBe('Olga');
    expect(users.findByIds).toHaveBeenCalledTimes(1);
    clock.advance(OWNER_NAME_TTL_MS);
    expect((await render()).owner.name).toBe('Olga Renamed');
  });

  it('keeps an owner that no longer exists, so its plugins’ pages do not ask again', async () => {
    const { users, render } = setup();
    users.findByIds.mockResolvedValue([]);
    expect((await render()).owner.name).toBe('');
    expect((await render()).owner.name).toBe('');
    expect(users.findByIds).toHaveBeenCalledTimes(1);
  });

  it('reads again the names of every owner at once when they expire, not one owner per request', async () => {
    const { users, clock, views } = setup();
    const [a, b] = [pluginFixture({ key: 'a.x', ownerId: 'a' }), pluginFixture({ key: 'b.x', ownerId: 'b' })];
    users.findByIds.mockImplementation((ids: string[]) => Promise.resolve(ids.map((id) => user(id, id))));
    await views.responses([a], null);
    clock.advance(OWNER_NAME_TTL_MS / 2);
    await views.responses([a, b], null);
    clock.advance(OWNER_NAME_TTL_MS / 2);
    await views.responses([a, b], null);
    await views.responses([a, b], null);
    expect(users.findByIds.mock.calls).toEqual([[['a']], [['b']], [['a', 'b']]]);
  });

  it('keeps an installation count until an installation of the plugin comes or goes', async () => {
    const { installed, epoch, views, render } = setup();
    expect((await render()).stats.installations).toBe(1);
    installed.counts.set('owner.x', 2);
    await views.installationChanged(changed(null, 'installing'));
    expect((await render()).stats.installations).toBe(2);
    installed.counts.set('owner.x', 1);
    // A status change leaves the count, and the epoch, where they are.
    await views.installationChanged(changed('active', 'disabled'));
    expect(epoch.written).toHaveBeenCalledTimes(1);
    expect((await render()).stats.installations).toBe(2);
    await views.installationChanged(changed('disabled', 'uninstalled'));
    expect((await render()).stats.installations).toBe(1);
  });

  it('reads a count again after INSTALL_COUNT_TTL_MS even when no event came', async () => {
    const { installed, clock, render } = setup();
    expect((await render()).stats.installations).toBe(1);
    installed.counts.set('owner.x', 3);
    clock.advance(INSTALL_COUNT_TTL_MS);
    expect((await render()).stats.installations).toBe(3);
  });
});

function changed(
  from: 'installing' | 'active' | 'disabled' | null,
  to: 'installing' | 'disabled' | 'uninstalled',
): Parameters<PluginViews['installationChanged']>[0] {
  return {
    installationId: 'i1',
    pluginKey: 'owner.x',
    target: { scope: 'user', userId: 'u1', orgId: null },
    version: '1.0.0',
    from,
    to,
    actor: { kind: 'user', id: 'u1' },
    reason: null,
    at: new Date(0),
  };
}
