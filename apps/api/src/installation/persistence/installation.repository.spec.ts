import { installationFixture } from '@test/support/fixtures.js';
import { useTestDatabase } from '@app/database/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Installation } from '../installation.entity.js';
import { PluginAlreadyInstalledError } from '../installation.errors.js';
import { InstallationRepository } from './installation.repository.js';
import {
  InstallationDoc,
  InstallationSchema,
  RetainedSettingsDoc,
  RetainedSettingsSchema,
} from './installation.schema.js';

const db = useTestDatabase('installations');
let repo: InstallationRepository;
let n = 0;

beforeAll(async () => {
  repo = new InstallationRepository(
    await db.model(InstallationDoc.name, InstallationSchema),
    await db.model(RetainedSettingsDoc.name, RetainedSettingsSchema),
  );
});

/** An installation of a plugin of its own (each test's keys are fresh), written. */
async function stored(tag: string, i: Partial<Installation> = {}): Promise<Installation> {
  const installation = installationFixture({ id: repo.newId(), pluginKey: `repo${++n}.${tag}`, ...i });
  await repo.insert(installation);
  return installation;
}

describe('InstallationRepository', () => {
  it('stores what insert is given, counts the write, and refuses a second installation of the plugin in the target', async () => {
    const writes = repo.writes;
    const first = await stored('insert', { config: { greeting: 'Hi' }, grants: ['log'] });
    expect(repo.writes).toBe(writes + 1);
    expect(await repo.find(first.id)).toMatchObject({
      id: first.id,
      pluginKey: first.pluginKey,
      target: first.target,
      config: { greeting: 'Hi' },
      grants: ['log'],
      status: 'active',
    });
    await expect(repo.insert({ ...first, id: repo.newId() })).rejects.toBeInstanceOf(PluginAlreadyInstalledError);
  });

  it('lists the active installations granted a capability, none an operation holds', async () => {
    const key = `repo${++n}.granted`;
    const user = (userId: string) => ({ scope: 'user' as const, userId });
    const yes = await stored('x', { pluginKey: key, target: user('g1'), grants: ['log', 'events:subscribe'] });
    await stored('x', { pluginKey: key, target: user('g2'), grants: ['log'] });
    await stored('x', { pluginKey: key, target: user('g3'), grants: ['events:subscribe'], status: 'failed' });
    await stored('x', { pluginKey: key, target: user('g4'), grants: ['events:subscribe'], operationId: 'op1' });
    await stored('x', {
      pluginKey: key,
      target: user('g5'),
      grants: ['events:subscribe'],
      status: 'disabled',
      enabled: false,
    });
    const found = (await repo.listActiveGranted('events:subscribe')).filter((i) => i.pluginKey === key);
    expect(found.map((i) => i.id)).toEqual([yes.id]);
  });

  it("lists the organisations' and the instance's installations of some plugins in some statuses, never a user's", async () => {
    const key = `repo${++n}.broader`;
    const org = await stored('x', { pluginKey: key, target: { scope: 'org', orgId: 'o1' }, status: 'disabled' });
    const global = await stored('x', { pluginKey: key, target: { scope: 'global' }, status: 'killed' });
    await stored('x', { pluginKey: key, target: { scope: 'org', orgId: 'o2' }, status: 'active' });
    await stored('x', { pluginKey: key, target: { scope: 'user', userId: 'b1' }, status: 'disabled' });
    const other = await stored('other', { target: { scope: 'global' }, status: 'disabled' });
    const found = await repo.listBroaderWithStatus([key, other.pluginKey], ['disabled', 'killed']);
    expect(found.map((i) => i.id).sort()).toEqual([org.id, global.id, other.id].sort());
    expect(await repo.listBroaderWithStatus([`repo${++n}.none`], ['disabled'])).toEqual([]);
  });
});
