import type { OrgRole } from '@app/common';
import { caller } from '@test/support/fixtures.js';
import { TestClock } from '@test/support/clock.js';
import { FakeInstallations } from '@test/support/installations.js';
import { describe, expect, it, vi } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { INSTALLED_KEYS_TTL_MS, RegistryInstallations } from './registry-installations.js';
import type { InstallationLookup } from './registry.ports.js';

function setup() {
  const fake = new FakeInstallations();
  fake.installed = ['a.one', 'a.two'];
  fake.active = ['a.two'];
  const keysFor = vi.spyOn(fake as InstallationLookup, 'keysFor');
  let orgs = new Map<string, OrgRole>();
  const access = new AccessService({
    rolesOf: () => Promise.resolve(orgs),
    findOrg: () => Promise.resolve(null),
  });
  const clock = new TestClock();
  const installations = new RegistryInstallations(fake, access, clock);
  // A new caller object per request, as the auth guard makes one.
  const read = (id = 'u1') => installations.keysFor(caller(id));
  return { fake, keysFor, clock, installations, read, joins: (org: string) => (orgs = new Map([[org, 'member']])) };
}

describe('RegistryInstallations', () => {
  it('reads a caller’s keys once within INSTALLED_KEYS_TTL_MS, and again after it', async () => {
    const { fake, keysFor, clock, read } = setup();
    expect(await read()).toEqual({ installed: ['a.one', 'a.two'], active: ['a.two'] });
    fake.installed = ['a.one'];
    await read();
    expect(keysFor).toHaveBeenCalledTimes(1);
    clock.advance(INSTALLED_KEYS_TTL_MS);
    expect((await read()).installed).toEqual(['a.one']);
    expect(keysFor).toHaveBeenCalledTimes(2);
  });

  it('keeps each caller’s own keys', async () => {
    const { keysFor, read } = setup();
    await read('u1');
    await read('u2');
    await read('u1');
    expect(keysFor.mock.calls.map(([c]) => c.id)).toEqual(['u1', 'u2']);
  });

  it('reads again at once after an installation changed on this node', async () => {
    const { fake, keysFor, installations, read } = setup();
    await read();
    fake.active = [];
    installations.installationChanged();
    expect((await read()).active).toEqual([]);
    expect(keysFor).toHaveBeenCalledTimes(2);
  });

  it('does not keep a read that was under way when an installation changed', async () => {
    const { fake, keysFor, installations, read } = setup();
    let answer!: (keys: { installed: string[]; active: string[] }) => void;
    keysFor.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const overtaken = read();
    await vi.waitFor(() => expect(keysFor).toHaveBeenCalledTimes(1));
    fake.installed = [];
    installations.installationChanged();
    answer({ installed: ['a.one', 'a.two'], active: [] });
    await overtaken;
    expect((await read()).installed).toEqual([]);
  });

  it('reads again for a caller whose organisations changed', async () => {
    const { keysFor, joins, read } = setup();
    await read();
    joins('0000000000000000000000b1');
    await read();
    expect(keysFor).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed read', async () => {
    const { keysFor, read } = setup();
    keysFor.mockRejectedValueOnce(new Error('down'));
    await expect(read()).rejects.toThrow();
    expect((await read()).installed).toEqual(['a.one', 'a.two']);
    expect(keysFor).toHaveBeenCalledTimes(2);
  });
});
