import { installationFixture as inst } from '@test/support/fixtures.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { MembershipLookup } from '../auth/auth.ports.js';
import { InstallationDirectoryAdapter } from './installation-directory.adapter.js';
import { InstallationRuntime, type RunnablePackage } from './installation-runtime.js';
import { InstallationRepository } from './persistence/installation.repository.js';

const SUBSCRIBES: Record<string, string[]> = { 'acme.sink': ['orders.*', 'plugin.installed'], 'acme.quiet': [] };
const pkg = (key: string) =>
  ({ manifest: { events: { subscribes: (SUBSCRIBES[key] ?? []).map((type) => ({ type })) } } }) as RunnablePackage;

let repo: ReturnType<typeof strictMock<InstallationRepository>>;
let runtime: ReturnType<typeof strictMock<InstallationRuntime>>;
let memberships: { rolesOf: ReturnType<typeof vi.fn> };
let adapter: InstallationDirectoryAdapter;

beforeEach(() => {
  repo = strictMock(InstallationRepository);
  runtime = strictMock(InstallationRuntime);
  memberships = { rolesOf: vi.fn() };
  runtime.package.mockImplementation((key: string) => Promise.resolve(pkg(key)));
  adapter = new InstallationDirectoryAdapter(repo, runtime, memberships as unknown as MembershipLookup);
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
    const user = { scope: 'user' as const, userId: 'u1' };
    repo.listEnabled.mockResolvedValue([
      inst({ id: 'a', pluginKey: 'acme.sink', status: 'active', grants: ['events:subscribe'], target: user }),
      inst({ id: 'b', pluginKey: 'acme.sink', status: 'failed', grants: ['events:subscribe'], target: user }),
      inst({ id: 'c', pluginKey: 'acme.sink', status: 'active', grants: ['log'], target: user }),
      inst({ id: 'd', pluginKey: 'acme.quiet', status: 'active', grants: ['events:subscribe'], target: user }),
    ]);
    expect((await adapter.subscribers()).map((s) => s.installationId)).toEqual(['a']);
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
});
