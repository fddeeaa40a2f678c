import { createHash } from 'node:crypto';
import { useTestDatabase } from '@app/database/testing.js';
import type { Model } from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../../auth/auth.entity.js';
import { buildArtifact, digestOf, manifestBytes } from '../artifact.js';
import type { NewPlugin, NewVersion, PluginOrdering, PluginVersion } from '../registry.entity.js';
import { PluginRatingRepository } from './plugin-rating.repository.js';
import { PluginReviewDoc, PluginReviewSchema } from './plugin-review.schema.js';
import { PluginVersionRepository } from './plugin-version.repository.js';
import { PluginVersionDoc, PluginVersionSchema } from './plugin-version.schema.js';
import { PluginRepository } from './plugin.repository.js';
import { PluginDoc, PluginSchema } from './plugin.schema.js';
import { EPOCH_POLL_MS, RegistryWriteEpoch } from './registry-epoch.js';
import { RegistryEpochDoc, RegistryEpochSchema } from './registry-epoch.schema.js';
import { trigrams } from './registry.mapper.js';
import { TestClock } from '@test/support/clock.js';

const db = useTestDatabase('registry');
let plugins: PluginRepository;
let versions: PluginVersionRepository;
let ratings: PluginRatingRepository;
let n = 0;

const viewer = (id: string, isAdmin = false): Viewer => ({ id, roles: ['user'], isAdmin, orgRoles: new Map() });
const newPlugin = (key: string, p: Partial<NewPlugin> = {}): NewPlugin => ({
  key,
  name: key,
  description: `about ${key}`,
  category: 'tools',
  tags: ['t'],
  homepage: null,
  repository: null,
  icon: null,
  author: 'Acme',
  license: 'MIT',
  ownerType: 'user',
  ownerId: 'u1',
  scope: 'public',
  status: 'approved',
  isBuiltin: false,
  isSample: false,
  source: 'store',
  createdBy: 'u1',
  ...p,
});
const newVersion = async (key: string, version: string, versionKey = version): Promise<NewVersion> => {
  const bytes = await buildArtifact([
    { role: 'manifest', path: 'manifest.json', content: manifestBytes({ key, version }) },
  ]);
  return {
    key,
    version,
    versionKey,
    prerelease: false,
    status: 'pending',
    manifest: { key, version },
    files: [],
    artifact: { bytes, ...digestOf(bytes) },
    publishedBy: 'u1',
  };
};
const fresh = (tag: string) => `repo${++n}.${tag}`;
const approved = async (key: string, p: Partial<NewPlugin> = {}) => {
  await plugins.create(newPlugin(key, p));
  await plugins.writeDerived(key, 1, {
    status: 'approved',
    hasApproved: true,
    distTags: { latest: '1.0.0', next: null },
    displayVersion: '1.0.0',
    lastPublishedAt: new Date(),
  });
};

let pluginModel: Model<PluginDoc>;
let epochModel: Model<RegistryEpochDoc>;
let epoch: RegistryWriteEpoch;

beforeAll(async () => {
  pluginModel = await db.model(PluginDoc.name, PluginSchema);
  epochModel = await db.model(RegistryEpochDoc.name, RegistryEpochSchema);
  epoch = new RegistryWriteEpoch(epochModel, new TestClock());
  plugins = new PluginRepository(pluginModel, epoch);
  versions = new PluginVersionRepository(await db.model(PluginVersionDoc.name, PluginVersionSchema), epoch);
  ratings = new PluginRatingRepository(await db.model(PluginReviewDoc.name, PluginReviewSchema));
});

describe('PluginRepository', () => {
  it('refuses a taken key as key_taken', async () => {
    const key = fresh('dup');
    await plugins.create(newPlugin(key));
    await expect(plugins.create(newPlugin(key))).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'key_taken' },
    });
  });

  it('shows the catalog the viewer may see: not another user’s private plugin', async () => {
    const tag = `vis${++n}`;
    await approved(fresh('public'), { tags: [tag] });
    await approved(fresh('private'), { tags: [tag], scope: 'private' });
    const stranger = await plugins.catalog(viewer('u2'), { tags: [tag] }, undefined, { offset: 0, limit: 10 });
    const owner = await plugins.catalog(viewer('u1'), { tags: [tag] }, undefined, { offset: 0, limit: 10 });
    expect([stranger.count, owner.count]).toEqual([1, 2]);
  });

  it('gives plugins stored before the audience and the trigrams existed both at start-up, once', async () => {
    const tag = `old${++n}`;
    const [open, own] = [fresh('open'), fresh('own')];
    await approved(open, { tags: [tag], description: 'reads the barometer' });
    await approved(own, { tags: [tag], scope: 'private' });
    // As a database written by the previous release holds them: neither field.
    await pluginModel.collection.updateMany(
      { key: { $in: [open, own] } },
      { $unset: { audience: '', search_grams: '' } },
    );
    const search = { search: 'barometer', tags: [tag] };
    expect((await plugins.catalog(viewer('u2'), { tags: [tag] }, undefined, { offset: 0, limit: 10 })).count).toBe(0);
    await plugins.onApplicationBootstrap();
    const after = await pluginModel.collection.find({ key: { $in: [open, own] } }).toArray();
    expect(after.map((d): unknown[] => [d.key, d.audience])).toEqual(
      expect.arrayContaining([
        [open, '*'],
        [own, 'u:u1'],
      ]),
    );
    expect((await plugins.catalog(viewer('u2'), search, undefined, { offset: 0, limit: 10 })).count).toBe(1);
    expect((await plugins.catalog(viewer('u1'), { tags: [tag] }, undefined, { offset: 0, limit: 10 })).count).toBe(2);
    // A second start finds nothing to do and changes nothing.
    await plugins.onApplicationBootstrap();
    expect(await pluginModel.collection.find({ key: { $in: [open, own] } }).toArray()).toEqual(after);
  });

  it('keeps a catalog page until a registry write, and answers what the write left at once', async () => {
    const tag = `kept${++n}`;
    const [first, second] = [fresh('first'), fresh('second')];
    await approved(first, { tags: [tag] });
    const read = () => plugins.catalog(viewer('u2'), { tags: [tag] }, undefined, { offset: 0, limit: 10 });
    expect((await read()).count).toBe(1);
    // Stored behind the repository's back (no write of its own): the kept page is what it answers.
    await pluginModel.collection.updateOne({ key: first }, { $set: { tags: ['elsewhere'] } });
    expect((await read()).items.map((p) => p.key)).toEqual([first]);
    await approved(second, { tags: [tag] });
    expect((await read()).items.map((p) => p.key)).toEqual([second]);
  });

  it('sees another node’s registry write within EPOCH_POLL_MS', async () => {
    const tag = `node${++n}`;
    const clock = new TestClock();
    const other = new PluginRepository(pluginModel, new RegistryWriteEpoch(epochModel, clock));
    const key = fresh('there');
    await approved(key, { tags: [tag] });
    const read = () => other.catalog(viewer('u2'), { tags: [tag] }, undefined, { offset: 0, limit: 10 });
    expect((await read()).count).toBe(1);
    // Written through this node's repository: the other node holds its page until it reads the shared counter.
    await plugins.updateListing(key, { scope: 'private' });
    clock.advance(EPOCH_POLL_MS);
    expect((await read()).count).toBe(0);
    await plugins.updateListing(key, { scope: 'public' });
    clock.advance(EPOCH_POLL_MS);
    expect((await read()).count).toBe(1);
  });

  it('keeps pages across a download with its new count, and reads the orders by downloads again', async () => {
    const tag = `dl${++n}`;
    const [a, b] = [fresh('a'), fresh('b')];
    await approved(a, { tags: [tag] });
    await approved(b, { tags: [tag] });
    const read = (ordering?: PluginOrdering) =>
      plugins.catalog(viewer('u2'), { tags: [tag] }, ordering, { offset: 0, limit: 10 });
    await read();
    await read('-downloads');
    const before = plugins.catalogCacheStats();
    await plugins.countDownload(b);
    const byKey = await read();
    expect(byKey.items.map((p) => [p.key, p.stats.downloads])).toEqual([
      [a, 0],
      [b, 1],
    ]);
    expect((await read('-downloads')).items.map((p) => p.key)).toEqual([b, a]);
    const after = plugins.catalogCacheStats();
    expect([after.hits - before.hits, after.misses - before.misses]).toEqual([1, 1]);
  });

  it('sees another node’s download within EPOCH_POLL_MS', async () => {
    const tag = `dlnode${++n}`;
    const clock = new TestClock();
    const other = new PluginRepository(pluginModel, new RegistryWriteEpoch(epochModel, clock));
    const key = fresh('there');
    await approved(key, { tags: [tag] });
    const read = async () =>
      (await other.catalog(viewer('u2'), { tags: [tag] }, undefined, { offset: 0, limit: 10 })).items[0].stats;
    expect((await read()).downloads).toBe(0);
    await plugins.countDownload(key);
    expect((await read()).downloads).toBe(0);
    clock.advance(EPOCH_POLL_MS);
    expect((await read()).downloads).toBe(1);
  });

  it('orders the catalog and counts all matches beyond the page', async () => {
    const tag = `ord${++n}`;
    const keys = [fresh('b'), fresh('a'), fresh('c')];
    for (const key of keys) await approved(key, { tags: [tag] });
    const page = await plugins.catalog(viewer('u2'), { tags: [tag] }, '-key', { offset: 0, limit: 2 });
    expect([page.count, page.items.map((p) => p.key)]).toEqual([3, [...keys].sort().reverse().slice(0, 2)]);
  });

  it('never lets an older revision overwrite the derived fields of a newer one', async () => {
    const key = fresh('rev');
    await plugins.create(newPlugin(key, { status: 'pending' }));
    const [older, newer] = [await plugins.bumpRev(key), await plugins.bumpRev(key)];
    const derived = (status: 'pending' | 'approved') => ({
      status,
      hasApproved: status === 'approved',
      distTags: { latest: null, next: null },
      displayVersion: null,
      lastPublishedAt: null,
    });
    await plugins.writeDerived(key, newer, derived('approved'));
    await plugins.writeDerived(key, older, derived('pending'));
    expect((await plugins.find(key))?.status).toBe('approved');
  });

  it('remembers which listing fields an update edited, once each, and not the scope', async () => {
    const key = fresh('edit');
    const created = await plugins.create(newPlugin(key));
    await plugins.updateListing(key, { name: 'Renamed', scope: 'private' });
    const updated = await plugins.updateListing(key, { name: 'Again', tags: ['x'] });
    expect([created.editedFields, updated?.editedFields.slice().sort()]).toEqual([[], ['name', 'tags']]);
  });

  it('finds several plugins by key in one call, skipping unknown keys', async () => {
    const [a, b] = [fresh('many'), fresh('many')];
    await plugins.create(newPlugin(a));
    await plugins.create(newPlugin(b));
    const found = await plugins.findMany([a, b, fresh('absent')]);
    expect(found.map((p) => p.key).sort()).toEqual([a, b].sort());
    expect(await plugins.findMany([])).toEqual([]);
  });

  it('imports plugins in bulk as the one-by-one writes store them, and names the key a bulk import reuses', async () => {
    const derived = {
      status: 'approved' as const,
      hasApproved: true,
      distTags: { latest: '1.0.0', next: null },
      displayVersion: '1.0.0',
      lastPublishedAt: new Date('2026-11-01T00:00:00Z'),
    };
    const [one, bulk, org] = [fresh('onebyone'), fresh('bulk'), fresh('bulkorg')];
    await plugins.create(newPlugin(one, { tags: ['t', 'bulk'] }));
    await plugins.writeDerived(one, 2, derived);
    await plugins.addToRatingTotals(one, 9, 2);
    await plugins.setRatingIfCurrent(one, { sum: 9, count: 2 }, 4.5);
    for (let d = 0; d < 3; d++) await plugins.countDownload(one);
    const stats = { downloads: 3, ratingSum: 9, reviews: 2, rating: 4.5 };
    const at = new Date('2026-11-02T00:00:00Z');
    await plugins.importMany([
      { plugin: newPlugin(bulk, { tags: ['t', 'bulk'] }), rev: 2, derived, stats, at },
      { plugin: newPlugin(org, { ownerType: 'org', ownerId: 'o1', scope: 'org' }), rev: 2, derived, stats, at },
    ]);
    const raw = (key: string) => pluginModel.findOne({ key }).lean<Record<string, unknown>>().exec();
    const stored = async (key: string) => {
      const { _id, created_at: _c, updated_at: _u, search_grams: _g, ...doc } = (await raw(key))!;
      return JSON.parse(JSON.stringify(doc).replaceAll(key, 'KEY')) as unknown;
    };
    expect(await stored(bulk)).toEqual(await stored(one));
    const bulkDoc = (await raw(bulk))!;
    expect(bulkDoc.search_grams).toEqual(trigrams(bulkDoc.search_text as string));
    expect(await raw(org)).toMatchObject({ audience: 'om:o1' });
    expect((await plugins.find(bulk))?.createdAt).toEqual(at);
    await expect(
      plugins.importMany([
        { plugin: newPlugin(fresh('bulknew')), rev: 1, derived, stats, at },
        ...[bulk].map((key) => ({
          plugin: newPlugin(key),
          rev: 1,
          derived,
          stats,
          at,
        })),
      ]),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'key_taken', key: bulk } });
  });

  it('keeps the rating totals exact under concurrent changes', async () => {
    const key = fresh('rate');
    await plugins.create(newPlugin(key));
    await Promise.all([1, 2, 3, 4].map((r) => plugins.addToRatingTotals(key, r, 1)));
    expect(await plugins.addToRatingTotals(key, 0, 0)).toEqual({ sum: 10, count: 4 });
  });
});

describe('PluginVersionRepository', () => {
  it('moves the content generation on each version written; an installation count moves the other one only', async () => {
    const key = fresh('gen');
    const generations = async () => [await epoch.current(), await epoch.contentCurrent()];
    const [all0, content0] = await generations();
    await versions.insert(await newVersion(key, '1.0.0'), new Date());
    const [all1, content1] = await generations();
    expect([all1 > all0, content1 > content0]).toEqual([true, true]);
    await versions.update(key, '1.0.0', { deprecated: 'use 2' });
    const [all2, content2] = await generations();
    expect([all2 > all1, content2 > content1]).toEqual([true, true]);
    await epoch.written(true, 'counts');
    const [all3, content3] = await generations();
    expect([all3 > all2, content3]).toEqual([true, content2]);
  });

  it('inserts versions in bulk as one-by-one inserts store them, and names the version a bulk insert reuses', async () => {
    const [a, b] = [fresh('verbulk'), fresh('verbulk')];
    const at = new Date('2026-11-03T00:00:00Z');
    await versions.insert(await newVersion(a, '1.0.0'), at);
    await versions.insertMany([{ input: await newVersion(b, '1.0.0'), at }]);
    // The artifacts differ only in the key inside the manifest, so do their digests.
    const comparable = ({ key: _k, manifest: _m, size: _s, checksum: _c, integrity: _i, ...v }: PluginVersion) => v;
    const [one, bulk] = await Promise.all([versions.list(a), versions.list(b)]);
    expect(bulk.map(comparable)).toEqual(one.map(comparable));
    expect(bulk[0].manifest).toEqual({ key: b, version: '1.0.0' });
    await expect(
      versions.insertMany([
        { input: await newVersion(b, '2.0.0'), at },
        { input: await newVersion(b, '1.0.0+x', '1.0.0'), at },
      ]),
    ).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'version_reused', version: '1.0.0+x' } });
  });

  it('refuses a version published again with other build metadata as version_reused', async () => {
    const key = fresh('ver');
    await versions.insert(await newVersion(key, '1.0.0+a', '1.0.0'), new Date());
    await expect(versions.insert(await newVersion(key, '1.0.0+b', '1.0.0'), new Date())).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'version_reused' },
    });
  });

  it('changes a version only while it is in one of the given states', async () => {
    const key = fresh('cas');
    await versions.insert(await newVersion(key, '1.0.0'), new Date());
    const refused = await versions.update(key, '1.0.0', { status: 'pending' }, ['draft']);
    const done = await versions.update(key, '1.0.0', { deprecated: 'old' });
    expect([refused, done?.deprecated]).toEqual([null, 'old']);
  });

  it('gives back the artifact byte for byte, and versions without it', async () => {
    const key = fresh('art');
    const input = await newVersion(key, '1.0.0');
    await versions.insert(input, new Date());
    const [artifact, listed] = [await versions.artifact(key, '1.0.0'), await versions.list(key)];
    expect([artifact?.bytes.equals(input.artifact.bytes), listed.map((v) => v.version)]).toEqual([true, ['1.0.0']]);
  });
});

describe('PluginVersionRepository for installs', () => {
  it('lists the versions of several plugins at once', async () => {
    const [a, b] = [fresh('wave'), fresh('wave')];
    await versions.insert(await newVersion(a, '1.0.0'), new Date());
    await versions.insert(await newVersion(a, '1.1.0'), new Date());
    await versions.insert(await newVersion(b, '2.0.0'), new Date());
    const listed = await versions.listMany([a, b]);
    expect(listed.map((v) => `${v.key}@${v.version}`).sort()).toEqual([`${a}@1.0.0`, `${a}@1.1.0`, `${b}@2.0.0`]);
  });

  it('gives the runtime the manifest and the runner text of a version', async () => {
    const key = fresh('load');
    const runner = Buffer.from('export default { onMessage(m) { return m.data; } };\n');
    const readme = Buffer.from('# Readme\n');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    await versions.insert(
      {
        ...(await newVersion(key, '1.0.0')),
        files: [
          { role: 'readme', path: 'README.md', size: readme.length, sha256: sha(readme), content: readme },
          { role: 'runner', path: 'runner.js', size: runner.length, sha256: sha(runner), content: runner },
        ],
      },
      new Date(),
    );
    expect(await versions.loadable(key, '1.0.0')).toEqual({
      manifest: { key, version: '1.0.0' },
      runner: runner.toString(),
    });
    expect(await versions.loadable(key, '9.9.9')).toBeNull();
  });

  it('says a package without a runner has none', async () => {
    const key = fresh('norun');
    await versions.insert(await newVersion(key, '1.0.0'), new Date());
    expect((await versions.loadable(key, '1.0.0'))?.runner).toBeNull();
  });
});

describe('PluginRatingRepository', () => {
  it('replaces a user’s rating and reports the one it replaced', async () => {
    const key = fresh('stars');
    const first = await ratings.upsert(key, 'u9', 2, 'meh');
    const second = await ratings.upsert(key, 'u9', 5, 'great');
    const page = await ratings.list(key, { offset: 0, limit: 10 });
    expect([first.previous, second.previous, page.count, page.items[0].rating]).toEqual([null, 2, 1, 5]);
  });
});
