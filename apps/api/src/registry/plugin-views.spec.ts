import { caller, pluginFixture } from '@test/support/fixtures.js';
import { TestClock } from '@test/support/clock.js';
import { FakeInstallations } from '@test/support/installations.js';
import { strictMock } from '@test/support/strict-mock.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { OrgsService } from '../orgs/orgs.service.js';
import type { User } from '../users/user.entity.js';
import type { PluginResponseDto } from './dto/plugin-response.dto.js';
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
  return { users, installed, epoch, clock, views, installations, render };
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

  it('refreshes every kept name in one read past half OWNER_NAME_TTL_MS, without the request waiting for it', async () => {
    const { users, clock, views } = setup();
    const [a, b] = [pluginFixture({ key: 'a.x', ownerId: 'a' }), pluginFixture({ key: 'b.x', ownerId: 'b' })];
    users.findByIds.mockImplementation((ids: string[]) => Promise.resolve(ids.map((id) => user(id, id))));
    await views.responses([a], null);
    clock.advance(OWNER_NAME_TTL_MS / 2);
    // The refresh of `a` never answers: the request is served the kept name and reads only the one it lacks.
    let answer: (users: User[]) => void = () => undefined;
    users.findByIds.mockImplementationOnce(() => new Promise<User[]>((resolve) => (answer = resolve)));
    expect((await views.responses([a, b], null)).map((v) => v.owner.name)).toEqual(['a', 'b']);
    answer([user('a', 'a renamed')]);
    await settled();
    clock.advance(OWNER_NAME_TTL_MS / 2);
    // Read half a TTL ago: kept; the next refresh (of both) starts, this request does not wait for it either.
    users.findByIds.mockImplementation((ids: string[]) => Promise.resolve(ids.map((id) => user(id, `${id} again`))));
    expect((await views.responses([a, b], null)).map((v) => v.owner.name)).toEqual(['a renamed', 'b']);
    await settled();
    expect((await views.responses([a, b], null)).map((v) => v.owner.name)).toEqual(['a again', 'b again']);
    expect(users.findByIds.mock.calls).toEqual([[['a']], [['a']], [['b']], [['a', 'b']]]);
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

/** Lets every promise chain the last step started run to its end. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PluginViews.serialized', () => {
  it('builds a catalog page once for the same page, keys, names and counts, and again when one changes', async () => {
    const { users, installed, clock, views, installations } = setup();
    const page = { count: 1, items: [pluginFixture({ key: 'owner.x', ownerId: 'owner' })] };
    const serve = async () => JSON.parse((await views.serialized(page, caller('u1'))).json) as PluginResponseDto[];
    const first = await serve();
    expect(first).toEqual(JSON.parse(JSON.stringify(await views.responses(page.items, caller('u1')))));
    expect(await serve()).toEqual(first);
    expect([views.builtMisses, views.builtHits]).toEqual([1, 1]);
    installed.installed = ['owner.x'];
    installations.installationChanged();
    expect((await serve())[0].is_installed).toBe(true);
    installed.counts.set('owner.x', 4);
    await views.installationChanged(changed(null, 'installing'));
    expect((await serve())[0].stats.installations).toBe(4);
    // A refresh that reads the same name leaves the page built; one that reads a new name builds it again.
    clock.advance(OWNER_NAME_TTL_MS / 2);
    await serve();
    await settled();
    const before = views.builtMisses;
    expect((await serve())[0].owner.name).toBe('Olga');
    expect(views.builtMisses).toBe(before);
    users.findByIds.mockResolvedValue([user('owner', 'Olga Renamed')]);
    clock.advance(OWNER_NAME_TTL_MS / 2);
    await serve();
    await settled();
    expect((await serve())[0].owner.name).toBe('Olga Renamed');
  });

  it('reads every kept name again in one read once they expire; pages built before stand if none changed', async () => {
    const { users, clock, views } = setup();
    const [a, b] = [pluginFixture({ key: 'a.x', ownerId: 'a' }), pluginFixture({ key: 'b.x', ownerId: 'b' })];
    users.findByIds.mockImplementation((ids: string[]) => Promise.resolve(ids.map((id) => user(id, id))));
    const pages = [a, b].map((p) => ({ count: 2, items: [p] }));
    const serve = async (page: (typeof pages)[number]) =>
      (JSON.parse((await views.serialized(page, null)).json) as PluginResponseDto[]).map((v) => v.owner.name);
    for (const page of pages) await serve(page);
    expect(views.builtMisses).toBe(2);
    users.findByIds.mockClear();
    clock.advance(OWNER_NAME_TTL_MS);
    // Both pages asked at once after an idle gap: one read of both names that both wait for, nothing built again.
    expect(await Promise.all(pages.map(serve))).toEqual([['a'], ['b']]);
    expect(users.findByIds.mock.calls).toEqual([[['a', 'b']]]);
    expect(views.builtMisses).toBe(2);
    // A name that reads otherwise after the next gap: the pages are built again, with it.
    users.findByIds.mockImplementation((ids: string[]) =>
      Promise.resolve(ids.map((id) => user(id, id === 'b' ? 'b renamed' : id))),
    );
    clock.advance(OWNER_NAME_TTL_MS);
    expect(await Promise.all(pages.map(serve))).toEqual([['a'], ['b renamed']]);
    expect(views.builtMisses).toBe(4);
    // A read that fails drops them: the page reads the name it lacks.
    users.findByIds.mockRejectedValueOnce(new Error('down'));
    clock.advance(OWNER_NAME_TTL_MS);
    expect(await serve(pages[0])).toEqual(['a']);
    expect(views.builtMisses).toBe(5);
  });

  it('answers what building the page now would, and no name or count older than its TTL', async () => {
    const owners = ['a', 'b', 'c'];
    const plugins = owners.flatMap((o) => [1, 2].map((n) => pluginFixture({ key: `${o}.p${n}`, ownerId: o })));
    const pages = [plugins.slice(0, 3), plugins.slice(2), plugins].map((items) => ({ count: 9, items }));
    const step = fc.oneof(
      fc.record({ advance: fc.integer({ min: 0, max: INSTALL_COUNT_TTL_MS }) }),
      fc.record({ rename: fc.constantFrom(...owners), to: fc.constantFrom('x', 'y', 'z') }),
      fc.record({ count: fc.constantFrom(...plugins.map((p) => p.key)), n: fc.nat(3), event: fc.boolean() }),
      fc.record({ keys: fc.subarray(plugins.map((p) => p.key)), event: fc.boolean() }),
      fc.constant({ settle: true }),
      fc.record({ serve: fc.nat(pages.length - 1), caller: fc.constantFrom('u1', 'u2') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const { users, installed, clock, views, installations } = setup();
        // What the database held and since when, to tell how old a served value is.
        const names = new Map(owners.map((o) => [o, [{ from: clock.nowMs(), value: o }]]));
        const counts = new Map(plugins.map((p) => [p.key, [{ from: clock.nowMs(), value: 0 }]]));
        users.findByIds.mockImplementation((ids: string[]) =>
          Promise.resolve(ids.map((id) => user(id, names.get(id)!.at(-1)!.value))),
        );
        // The value was the database's at some moment less than `ttl` before `at` (taken before the request, so a
        // stalled machine between answering and checking cannot make a fresh value look old).
        const fresh = (history: Array<{ from: number; value: unknown }>, value: unknown, ttl: number, at: number) =>
          history.some((h, i) => h.value === value && (history[i + 1]?.from ?? Infinity) > at - ttl);
        for (const s of steps) {
          if ('advance' in s) clock.advance(s.advance);
          else if ('rename' in s) names.get(s.rename)!.push({ from: clock.nowMs(), value: s.to });
          else if ('count' in s) {
            installed.counts.set(s.count, s.n);
            counts.get(s.count)!.push({ from: clock.nowMs(), value: s.n });
            if (s.event) {
              await views.installationChanged(changed(null, 'installing'));
              for (const h of counts.values())
                h.splice(0, h.length - 1, { from: clock.nowMs(), value: h.at(-1)!.value });
            }
          } else if ('keys' in s) {
            installed.installed = s.keys;
            if (s.event) installations.installationChanged();
          } else if ('settle' in s) await settled();
          else {
            const page = pages[s.serve];
            const at = clock.nowMs();
            // The clock is real time moved on demand, so a serve may pass half a TTL and start a refresh, whose
            // values may land before the page is built again: only an answer no refresh replaced values under must
            // equal the page built now (any answer must be fresh, below).
            const versions = () => [views['names'].version, views['counts'].version].join();
            const before = versions();
            const got = await views.serialized(page, caller(s.caller));
            const now = JSON.stringify(await views.responses(page.items, caller(s.caller)));
            if (versions() === before) expect(got.json).toBe(now);
            for (const item of JSON.parse(got.json) as PluginResponseDto[]) {
              expect(fresh(names.get(item.owner.id!)!, item.owner.name, OWNER_NAME_TTL_MS, at)).toBe(true);
              expect(fresh(counts.get(item.key)!, item.stats.installations, INSTALL_COUNT_TTL_MS, at)).toBe(true);
            }
          }
        }
      }),
    );
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
