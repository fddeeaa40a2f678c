import { installationFixture as inst } from '@test/support/fixtures.js';
import { strictMock } from '@test/support/strict-mock.js';
import { Clock } from '@app/common';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MembershipLookup } from '../auth/auth.ports.js';
import { InstallationDirectoryAdapter, SUBSCRIBERS_TTL_MS } from './installation-directory.adapter.js';
import type { Installation } from './installation.entity.js';
import { InstallationRuntime, type RunnablePackage } from './installation-runtime.js';
import { InstallationRepository } from './persistence/installation.repository.js';

const SUBSCRIBES: Record<string, string[]> = { 'acme.sink': ['orders.*', 'plugin.installed'], 'acme.quiet': [] };
const pkg = (key: string) =>
  ({
    manifest: { category: 'tools', events: { subscribes: (SUBSCRIBES[key] ?? []).map((type) => ({ type })) } },
  }) as RunnablePackage;

/** An active installation granted events:subscribe. */
const listener = (id: string, pluginKey: string, target: Installation['target']) =>
  inst({ id, pluginKey, status: 'active', grants: ['events:subscribe'], target });

let repo: ReturnType<typeof strictMock<InstallationRepository>>;
let runtime: ReturnType<typeof strictMock<InstallationRuntime>>;
let memberships: { rolesOf: ReturnType<typeof vi.fn> };
let adapter: InstallationDirectoryAdapter;
let clock: FixedClock;

/** A clock that moves only when told. */
class FixedClock extends Clock {
  ms = Date.UTC(2026, 11, 1);
  now(): Date {
    return new Date(this.ms);
  }
}

beforeEach(() => {
  repo = strictMock(InstallationRepository);
  runtime = strictMock(InstallationRuntime);
  memberships = { rolesOf: vi.fn() };
  runtime.package.mockImplementation((key: string) => Promise.resolve(pkg(key)));
  clock = new FixedClock();
  adapter = new InstallationDirectoryAdapter(repo, runtime, memberships as unknown as MembershipLookup, clock);
});

describe('InstallationDirectoryAdapter', () => {
  it('describes an installation by its target and its manifest subscriptions; null when it is gone', async () => {
    repo.find.mockResolvedValueOnce(inst({ id: 'i1', pluginKey: 'acme.sink', target: { scope: 'org', orgId: 'o1' } }));
    expect(await adapter.describe('i1')).toEqual({
      installationId: 'i1',
      pluginKey: 'acme.sink',
      owner: { scope: 'org', userId: null, orgId: 'o1' },
      subscribes: ['orders.*', 'plugin.installed'],
    });
    repo.find.mockResolvedValueOnce(null);
    expect(await adapter.describe('gone')).toBeNull();
  });

  it('lists as subscribers only active installations granted events:subscribe that subscribe to something', async () => {
    repo.listBroaderWithStatus.mockResolvedValue([]);
    const user = { scope: 'user' as const, userId: 'u1' };
    repo.listActiveGranted.mockResolvedValue([
      listener('a', 'acme.sink', user),
      inst({ id: 'b', pluginKey: 'acme.sink', status: 'failed', grants: ['events:subscribe'], target: user }),
      inst({ id: 'c', pluginKey: 'acme.sink', status: 'active', grants: ['log'], target: user }),
      inst({ id: 'd', pluginKey: 'acme.quiet', status: 'active', grants: ['events:subscribe'], target: user }),
    ]);
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['a']);
    expect(repo.listActiveGranted).toHaveBeenCalledWith('events:subscribe');
    // Nothing is switched off above: no membership is read.
    expect(repo.listBroaderWithStatus).toHaveBeenCalledWith(['acme.sink', 'acme.quiet'], ['disabled', 'killed']);
    expect(memberships.rolesOf).not.toHaveBeenCalled();
  });

  it("sends a user's message to the plugin in their effective set: their own, their organisations', the global one", async () => {
    repo.find.mockResolvedValue(inst({ id: 'from', target: { scope: 'user', userId: 'u1' } }));
    memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    const orgs = inst({ id: 'org-echo', pluginKey: 'acme.echo', target: { scope: 'org', orgId: 'o1' } });
    const global = inst({ id: 'g-echo', pluginKey: 'acme.echo', target: { scope: 'global' } });
    repo.listInTargets.mockResolvedValue([global, orgs]);
    expect((await adapter.messageTarget('from', 'acme.echo'))?.installationId).toBe('org-echo');
    expect(repo.listInTargets).toHaveBeenCalledWith(
      [{ scope: 'user', userId: 'u1' }, { scope: 'org', orgId: 'o1' }, { scope: 'global' }],
      'acme.echo',
    );
  });

  it("looks only at an organisation's own and the global installations for an organisation's sender", async () => {
    repo.find.mockResolvedValue(inst({ id: 'from', target: { scope: 'org', orgId: 'o2' } }));
    repo.listInTargets.mockResolvedValue([]);
    expect(await adapter.messageTarget('from', 'acme.echo')).toBeNull();
    expect(repo.listInTargets).toHaveBeenCalledWith([{ scope: 'org', orgId: 'o2' }, { scope: 'global' }], 'acme.echo');
    expect(memberships.rolesOf).not.toHaveBeenCalled();
  });

  it('has no target for a sender that is not installed (any more)', async () => {
    repo.find.mockResolvedValue(null);
    expect(await adapter.messageTarget('gone', 'acme.echo')).toBeNull();
  });

  it('serves a user with the most specific installation, off when a broader one is disabled, killed when killed', async () => {
    memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    const own = inst({ id: 'own', pluginKey: 'acme.echo', status: 'active', grants: ['messages:receive'] });
    const orgOff = inst({
      id: 'org',
      pluginKey: 'acme.echo',
      status: 'disabled',
      target: { scope: 'org', orgId: 'o1' },
    });
    const globalKilled = inst({ id: 'g', pluginKey: 'acme.echo', status: 'killed', target: { scope: 'global' } });
    repo.listInTargets.mockResolvedValueOnce([own]);
    expect(await adapter.servingUser('u1', 'acme.echo')).toMatchObject({
      installationId: 'own',
      state: 'active',
      grants: ['messages:receive'],
      category: 'tools',
    });
    repo.listInTargets.mockResolvedValueOnce([own, orgOff]);
    expect((await adapter.servingUser('u1', 'acme.echo'))?.state).toBe('inactive');
    repo.listInTargets.mockResolvedValueOnce([own, orgOff, globalKilled]);
    expect((await adapter.servingUser('u1', 'acme.echo'))?.state).toBe('killed');
    repo.listInTargets.mockResolvedValueOnce([]);
    expect(await adapter.servingUser('u1', 'acme.echo')).toBeNull();
  });

  it('offers a broadcast the active installations, of one organisation when asked, marking those switched off above', async () => {
    memberships.rolesOf.mockResolvedValueOnce(new Map([['o1', 'member']])).mockResolvedValueOnce(new Map());
    repo.listEnabled.mockResolvedValue([
      inst({ id: 'u1-echo', pluginKey: 'acme.echo', status: 'active', target: { scope: 'user', userId: 'u1' } }),
      inst({ id: 'u2-echo', pluginKey: 'acme.echo', status: 'active', target: { scope: 'user', userId: 'u2' } }),
      inst({ id: 'u2-kill', pluginKey: 'acme.kill', status: 'active', target: { scope: 'user', userId: 'u2' } }),
      inst({ id: 'o1-other', pluginKey: 'acme.other', status: 'active', target: { scope: 'org', orgId: 'o1' } }),
      inst({ id: 'failed', pluginKey: 'acme.other', status: 'failed', target: { scope: 'user', userId: 'u2' } }),
    ]);
    const above = [
      inst({ id: 'o1-echo', pluginKey: 'acme.echo', status: 'disabled', target: { scope: 'org', orgId: 'o1' } }),
      inst({ id: 'g-kill', pluginKey: 'acme.kill', status: 'killed', target: { scope: 'global' } }),
    ];
    repo.listBroaderWithStatus.mockResolvedValue(above);
    repo.listInTargets.mockResolvedValue(above);
    const all = await adapter.broadcastRecipients(null);
    expect(all.map((r) => [r.installationId, r.state])).toEqual([
      ['u1-echo', 'inactive'],
      ['u2-echo', 'active'],
      ['u2-kill', 'killed'],
      ['o1-other', 'active'],
    ]);
    expect(repo.listInTargets).toHaveBeenCalledWith([{ scope: 'global' }, { scope: 'org', orgId: 'o1' }]);
    const org = await adapter.broadcastRecipients('o1');
    expect(org.map((r) => r.installationId)).toEqual(['o1-other']);
  });

  it('leaves out subscribers that an organisation or the instance switches off for the same plugin', async () => {
    memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    const user = { scope: 'user' as const, userId: 'u1' };
    repo.listActiveGranted.mockResolvedValue([
      listener('own', 'acme.sink', user),
      listener('org', 'acme.sink', { scope: 'org', orgId: 'o2' }),
    ]);
    const off = inst({
      id: 'o1-off',
      pluginKey: 'acme.sink',
      status: 'disabled',
      target: { scope: 'org', orgId: 'o1' },
    });
    repo.listBroaderWithStatus.mockResolvedValue([off]);
    repo.listInTargets.mockResolvedValue([off]);
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['org']);
  });

  it('reads the subscribers once, then only what changes on this node, and all of them after the time to live', async () => {
    const user = { scope: 'user' as const, userId: 'u1' };
    const sink = (id: string, status: 'active' | 'disabled' = 'active') => ({
      ...listener(id, 'acme.sink', user),
      status,
    });
    memberships.rolesOf.mockResolvedValue(new Map());
    repo.listBroaderWithStatus.mockResolvedValue([]);
    repo.listInTargets.mockResolvedValue([]);
    repo.listActiveGranted.mockResolvedValue([sink('a'), sink('b')]);
    await adapter.subscribers();
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['a', 'b']);
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(1);

    // A user's installation: read again on its own, in place while it subscribes, out when not, in when new.
    repo.find.mockImplementation((id: string) =>
      Promise.resolve(id === 'a' ? sink('a', 'disabled') : id === 'gone' ? null : sink(id)),
    );
    adapter.noteChange({ installationId: 'a', target: user });
    adapter.noteChange({ installationId: 'c' });
    adapter.noteChange({ installationId: 'b' });
    adapter.noteChange({ installationId: 'gone', target: user });
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['b', 'c']);
    expect(repo.find.mock.calls.map(([id]) => id)).toEqual(['a', 'c', 'b', 'gone']);
    await adapter.subscribers();
    expect(repo.find).toHaveBeenCalledTimes(4);
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(1);

    // A change that leaves it without events:subscribe only takes it out, reading nothing.
    adapter.noteChange({ installationId: 'b', target: user, grants: ['log'] });
    adapter.noteChange({ installationId: 'c', target: user, grants: ['log', 'events:subscribe'] });
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['c']);
    expect(repo.find.mock.calls.map(([id]) => id)).toEqual(['a', 'c', 'b', 'gone', 'c']);

    // An organisation's or the instance's installation may switch others off: everything is read again.
    adapter.noteChange({ installationId: 'o', target: { scope: 'org' } });
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['a', 'b']);
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(2);
    repo.find.mockResolvedValueOnce(inst({ id: 'g', target: { scope: 'global' } }));
    adapter.noteChange({ installationId: 'g' });
    await adapter.subscribers();
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(3);

    // Another node changed an installation (EventsService heard it on the bus): read again before the TTL.
    adapter.forgetSubscribers();
    await adapter.subscribers();
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(4);

    clock.ms += SUBSCRIBERS_TTL_MS;
    await adapter.subscribers();
    expect(repo.listActiveGranted).toHaveBeenCalledTimes(5);
    repo.listActiveGranted.mockRejectedValueOnce(new Error('database down'));
    clock.ms += SUBSCRIBERS_TTL_MS;
    await expect(adapter.subscribers()).rejects.toThrow('database down');
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['a', 'b']);
  });

  it('reads the memberships only of subscribers whose plugin is switched off above somewhere', async () => {
    const sink = listener('s', 'acme.sink', { scope: 'user', userId: 'u1' });
    const other = listener('o', 'acme.other', { scope: 'user', userId: 'u2' });
    runtime.package.mockImplementation(() => Promise.resolve(pkg('acme.sink')));
    repo.listActiveGranted.mockResolvedValue([sink, other]);
    const elsewhere = inst({ pluginKey: 'acme.sink', status: 'disabled', target: { scope: 'org', orgId: 'o9' } });
    repo.listBroaderWithStatus.mockResolvedValue([elsewhere]);
    memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    repo.listInTargets.mockResolvedValue([elsewhere]);
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['s', 'o']);
    expect(memberships.rolesOf.mock.calls).toEqual([['u1']]);
  });

  it("sends no message to a user's own installation that their organisation's disable switches off", async () => {
    repo.find.mockResolvedValue(inst({ id: 'from', target: { scope: 'user', userId: 'u1' } }));
    memberships.rolesOf.mockResolvedValue(new Map([['o1', 'member']]));
    repo.listInTargets.mockResolvedValue([
      inst({ id: 'own', pluginKey: 'acme.echo', status: 'active', target: { scope: 'user', userId: 'u1' } }),
      inst({ id: 'off', pluginKey: 'acme.echo', status: 'disabled', target: { scope: 'org', orgId: 'o1' } }),
    ]);
    expect(await adapter.messageTarget('from', 'acme.echo')).toBeNull();
  });
});
