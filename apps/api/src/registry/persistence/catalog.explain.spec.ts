import { EmbeddedMongoServer } from '@app/embedded-mongo';
import fc from 'fast-check';
import mongoose, { type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemClock } from '@app/common';
import type { Viewer } from '../../auth/auth.entity.js';
import { canSee } from '../plugin-visibility.js';
import type { CatalogCriteria, NewPlugin, PluginOrdering, PluginScope } from '../registry.entity.js';
import { PLUGIN_ORDERINGS } from '../registry.entity.js';
import { PluginRepository } from './plugin.repository.js';
import { PluginDoc, PluginSchema } from './plugin.schema.js';
import { RegistryWriteEpoch } from './registry-epoch.js';
import { RegistryEpochDoc, RegistryEpochSchema } from './registry-epoch.schema.js';

/**
 * Every query the plugin repository sends while serving the catalog (finds, counts, the visibility and search
 * conditions, every ordering) is seen on the wire through the driver's command monitoring and explained: none may
 * scan the collection. The counts and pages are checked against the visibility rule applied to every plugin, also
 * right after a write, when what the repository kept of the catalog must no longer be what it answers.
 */

interface Sent {
  name: string;
  filter: Record<string, unknown>;
  sort?: Record<string, unknown>;
}

let server: EmbeddedMongoServer | undefined;
let connection: Connection;
let plugins: PluginRepository;
let epoch: RegistryWriteEpoch;
const sent: Sent[] = [];
const WORDS = ['sensor', 'weather', 'invoice', 'backup', 'chat', 'metrics'];
const CATEGORIES = ['iot', 'ai', 'data'];
const ORGS = ['0000000000000000000000a1', '0000000000000000000000a2'];
const USERS = ['0000000000000000000000b1', '0000000000000000000000b2'];

interface Seeded {
  key: string;
  category: string;
  text: string;
  ownerType: 'user' | 'org' | 'system';
  ownerId: string | null;
  scope: PluginScope;
  hasApproved: boolean;
  deletedAt: Date | null;
  downloads: number;
}
const seeded: Seeded[] = [];
/** A repository that has kept nothing: the database's own answer. */
let uncached: () => PluginRepository;

beforeAll(async () => {
  const uri = process.env.MONGODB_TEST_URI ?? (server = await EmbeddedMongoServer.start()).uri;
  connection = await mongoose
    .createConnection(uri, { dbName: `plughub_test_catalog_explain_${process.pid}`, monitorCommands: true })
    .asPromise();
  const model = connection.model<PluginDoc>(PluginDoc.name, PluginSchema);
  await model.init();
  const epochs = connection.model<RegistryEpochDoc>(RegistryEpochDoc.name, RegistryEpochSchema);
  epoch = new RegistryWriteEpoch(epochs, new SystemClock());
  plugins = new PluginRepository(model, epoch);
  uncached = () => new PluginRepository(model, new RegistryWriteEpoch(epochs, new SystemClock()));
  for (let i = 0; i < 120; i++) {
    const word = WORDS[i % WORDS.length];
    const ownerType = i % 7 === 0 ? 'system' : i % 3 === 0 ? 'org' : 'user';
    const ownerId = ownerType === 'org' ? ORGS[i % 2] : ownerType === 'user' ? USERS[i % 2] : null;
    const scope: PluginScope = i % 5 === 0 ? 'private' : i % 4 === 0 && ownerType === 'org' ? 'org' : 'public';
    const key = `pub${i % 9}.${word}-${i}`;
    const p: NewPlugin = {
      key,
      name: `${word} tool ${i}`,
      description: `Collects ${word} data, number ${i}.`,
      category: CATEGORIES[i % 3],
      tags: [word],
      homepage: null,
      repository: null,
      icon: null,
      author: 'Acme',
      license: 'MIT',
      ownerType,
      ownerId,
      scope,
      status: 'approved',
      isBuiltin: false,
      isSample: false,
      source: 'store',
      createdBy: null,
    };
    await plugins.create(p);
    const hasApproved = i % 6 !== 1;
    await plugins.writeDerived(key, 1, {
      status: hasApproved ? 'approved' : 'pending',
      hasApproved,
      distTags: { latest: '1.0.0', next: null },
      displayVersion: '1.0.0',
      lastPublishedAt: new Date(),
    });
    if (i % 4 === 0) await plugins.countDownload(key);
    let deletedAt: Date | null = null;
    if (i % 11 === 5) {
      deletedAt = new Date();
      await plugins.softDelete(key, 'admin', deletedAt);
    }
    seeded.push({
      key,
      category: CATEGORIES[i % 3],
      text: [key, p.name, p.description, ...p.tags].join('\n').toLowerCase(),
      ownerType,
      ownerId,
      scope,
      hasApproved,
      deletedAt,
      downloads: i % 4 === 0 ? 1 : 0,
    });
  }
  const client = connection.getClient();
  client.on('commandStarted', (e) => {
    const cmd = e.command as Record<string, unknown>;
    if (e.commandName === 'find' && cmd.find === 'plugins') {
      sent.push({ name: 'find', filter: cmd.filter as Sent['filter'], sort: cmd.sort as Sent['sort'] });
    }
    if (e.commandName === 'count' && cmd.count === 'plugins') {
      sent.push({ name: 'count', filter: (cmd.query ?? {}) as Sent['filter'] });
    }
  });
}, 120_000);

afterAll(async () => {
  await connection?.dropDatabase();
  await connection?.close();
  await server?.stop();
});

const viewers: Array<[string, Viewer]> = [
  ['anonymous', { id: '', roles: [], isAdmin: false, orgRoles: new Map() }],
  ['a user', { id: USERS[0], roles: ['user'], isAdmin: false, orgRoles: new Map() }],
  ['an org member', { id: USERS[1], roles: ['user'], isAdmin: false, orgRoles: new Map([[ORGS[0], 'member']]) }],
  [
    'an org owner',
    { id: '0000000000000000000000c1', roles: ['user'], isAdmin: false, orgRoles: new Map([[ORGS[1], 'owner']]) },
  ],
  ['a platform admin', { id: '0000000000000000000000d1', roles: ['admin'], isAdmin: true, orgRoles: new Map() }],
];

const shapes: Array<[string, CatalogCriteria]> = [
  ['no filter', {}],
  ['category', { category: 'iot' }],
  ['search', { search: 'sensor' }],
  ['search and category', { search: 'weather', category: 'ai' }],
  ['a short search', { search: 'a' }],
  ['tags', { tags: ['chat'] }],
];

// Random criteria beside the named shapes: searches cut out of the seeded texts (any length, across words) or made
// of letters and regex specials, with or without a category and a tag.
const randomCriteria: fc.Arbitrary<CatalogCriteria> = fc
  .record(
    {
      search: fc.oneof(
        fc
          .tuple(fc.constantFrom(...WORDS.map((w) => `${w} tool `), 'data, number 1', 'pub3.'), fc.nat(), fc.nat())
          .map(([text, a, b]) => text.slice(a % text.length, (a % text.length) + 1 + (b % 9))),
        fc.string({ unit: fc.constantFrom('a', 'o', 's', '.', '*', '(', 'e', 'N'), minLength: 1, maxLength: 5 }),
      ),
      category: fc.constantFrom(...CATEGORIES),
      tags: fc.constantFrom('chat', 'sensor', 'nothing').map((tag) => [tag]),
    },
    { requiredKeys: [] },
  )
  .map((c) => ({ ...c }));

/** A named shape's criteria or random ones. */
const anyCriteria = fc.oneof(
  fc.constantFrom(...shapes).map(([, c]) => c),
  randomCriteria,
);

const expected = (v: Viewer, c: CatalogCriteria) =>
  seeded
    .filter((p) => canSee(v, p))
    .filter((p) => c.category === undefined || p.category === c.category)
    .filter((p) => c.search === undefined || p.text.includes(c.search.toLowerCase()))
    .filter((p) => !c.tags || c.tags.every((t) => p.text.split('\n').includes(t)))
    .map((p) => p.key)
    .sort();

describe('the catalog’s queries', () => {
  it('count and page exactly what the visibility rule allows, for every viewer, filter and ordering', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...viewers),
        fc.oneof(
          fc.constantFrom(...shapes),
          randomCriteria.map((c): [string, CatalogCriteria] => ['random', c]),
        ),
        fc.constantFrom<PluginOrdering | undefined>(undefined, ...PLUGIN_ORDERINGS),
        fc.integer({ min: 0, max: 40 }),
        async ([, v], [, c], ordering, offset) => {
          const want = expected(v, c);
          const all = await plugins.catalog(v, c, ordering, { offset: 0, limit: 200 });
          expect(all.count).toBe(want.length);
          expect(all.items.map((p) => p.key).sort()).toEqual(want);
          const page = await plugins.catalog(v, c, ordering, { offset, limit: 7 });
          expect(page.count).toBe(want.length);
          expect(page.items.map((p) => p.key)).toEqual(all.items.slice(offset, offset + 7).map((p) => p.key));
        },
      ),
      { numRuns: 250 },
    );
  }, 300_000);

  it('never scan the collection: every find and count the repository sent uses an index', async () => {
    // A new generation, so no query is answered from what the repository kept.
    await epoch.written(false);
    sent.length = 0;
    for (const [, v] of viewers) {
      for (const [, c] of shapes) {
        for (const ordering of [undefined, ...PLUGIN_ORDERINGS]) {
          await plugins.catalog(v, c, ordering, { offset: 0, limit: 20 });
        }
      }
      await plugins.summary(v);
      await plugins.dependents(`pub1.weather-1`, v);
    }
    const counts = sent.filter((s) => s.name === 'count');
    expect(counts.length).toBeGreaterThan(20);
    const db = connection.db!;
    const scans: string[] = [];
    for (const s of sent) {
      const inner =
        s.name === 'count'
          ? { count: 'plugins', query: s.filter }
          : { find: 'plugins', filter: s.filter, ...(s.sort ? { sort: s.sort } : {}) };
      const plan = await db.command({ explain: inner, verbosity: 'queryPlanner' });
      const winning = JSON.stringify((plan as { queryPlanner: unknown }).queryPlanner);
      if (winning.includes('"COLLSCAN"')) scans.push(`${s.name} ${JSON.stringify(s.filter)} ${JSON.stringify(s.sort)}`);
    }
    expect(scans).toEqual([]);
  }, 300_000);

  it('counts the unfiltered and the category catalog from index ranges alone (COUNT_SCAN)', async () => {
    await epoch.written(false);
    const db = connection.db!;
    for (const [, v] of viewers.slice(0, 2)) {
      for (const c of [{}, { category: 'iot' }]) {
        sent.length = 0;
        await plugins.catalog(v, c, undefined, { offset: 0, limit: 20 });
        const count = sent.find((s) => s.name === 'count')!;
        const plan = (await db.command({
          explain: { count: 'plugins', query: count.filter },
          verbosity: 'queryPlanner',
        })) as { queryPlanner: { winningPlan: unknown } };
        expect(JSON.stringify(plan.queryPlanner.winningPlan)).toContain('"COUNT_SCAN"');
      }
    }
  });

  it('counts a filter once for all its pages and orders, and again after a write', async () => {
    await epoch.written(false);
    const [, v] = viewers[1];
    for (const [, c] of shapes) {
      sent.length = 0;
      const read = async () => {
        const pages = [];
        for (const ordering of [undefined, ...PLUGIN_ORDERINGS]) {
          for (const offset of [0, 5, 40]) pages.push(await plugins.catalog(v, c, ordering, { offset, limit: 5 }));
        }
        return pages;
      };
      const pages = await read();
      expect(sent.filter((s) => s.name === 'count')).toHaveLength(1);
      expect(new Set(pages.map((p) => p.count))).toEqual(
        new Set([(await uncached().catalog(v, c, undefined, { offset: 0, limit: 1 })).count]),
      );
      await epoch.written(false);
      sent.length = 0;
      await read();
      expect(sent.filter((s) => s.name === 'count')).toHaveLength(1);
    }
  });

  it('answers a query read just before a write to one of its plugins as the write left it', async () => {
    type Change = { name?: string; scope?: PluginScope };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...viewers),
        anyCriteria,
        fc.nat({ max: seeded.length - 1 }),
        fc.oneof(
          fc.constantFrom(...WORDS).map((w): Change => ({ name: `${w} renamed` })),
          fc.constantFrom<PluginScope>('public', 'private', 'org').map((scope): Change => ({ scope })),
        ),
        async ([, v], c, i, change) => {
          const p = seeded[i];
          const scope = change.scope === 'org' && p.ownerType !== 'org' ? 'private' : change.scope;
          // Read first, so the repository holds the answer the write makes wrong.
          const before = await plugins.catalog(v, c, undefined, { offset: 0, limit: 200 });
          expect(before.items.map((x) => x.key).sort()).toEqual(expected(v, c));
          await plugins.updateListing(p.key, { ...change, ...(scope ? { scope } : {}) });
          if (change.name) {
            const lines = p.text.split('\n');
            lines[1] = change.name.toLowerCase();
            p.text = lines.join('\n');
          }
          if (scope) p.scope = scope;
          const after = await plugins.catalog(v, c, undefined, { offset: 0, limit: 200 });
          expect(after.count).toBe(expected(v, c).length);
          expect(after.items.map((x) => x.key).sort()).toEqual(expected(v, c));
        },
      ),
      { numRuns: 80 },
    );
  }, 300_000);

  it('answers a query read just before a download with the count it left, in the order it left', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...viewers),
        anyCriteria,
        fc.constantFrom<PluginOrdering | undefined>(undefined, ...PLUGIN_ORDERINGS),
        fc.nat({ max: seeded.length - 1 }),
        fc.integer({ min: 0, max: 30 }),
        async ([, v], c, ordering, i, offset) => {
          const window = { offset, limit: 10 };
          // Read first, so the repository holds the answer the download makes wrong.
          await plugins.catalog(v, c, ordering, window);
          await plugins.countDownload(seeded[i].key);
          seeded[i].downloads++;
          const after = await plugins.catalog(v, c, ordering, window);
          const truth = await uncached().catalog(v, c, ordering, window);
          expect(after).toEqual(truth);
          const downloads = new Map(seeded.map((p) => [p.key, p.downloads]));
          expect(after.items.map((p) => p.stats.downloads)).toEqual(after.items.map((p) => downloads.get(p.key)));
        },
      ),
      { numRuns: 150 },
    );
  }, 300_000);
});
