import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collection } from './collection.js';
import { EmbeddedMongoServer } from './index.js';
import type { Doc } from './paths.js';
import type { SortSpec } from './planner.js';

/** The shape of the app's log search: an index on installation + terms (an array) + time. */
const LOG_INDEX = { installation_id: 1, terms: 1, at: -1 };

function logLines(n: number): Doc[] {
  return Array.from({ length: n }, (_, i) => ({
    _id: i,
    installation_id: i % 3 === 0 ? 'b' : 'a',
    terms: i % 4 === 0 ? ['ord', 'ord 12'] : ['ord', `pro ${i % 7}`],
    // Every fifth time repeats, so runs of ties on `at` are sorted by `_id`.
    at: new Date(1_700_000_000_000 + Math.floor(i / 5) * 1000),
  }));
}

function logCollection(lines: Doc[]): Collection {
  const coll = new Collection('db', 'logs');
  coll.createIndex({ key: LOG_INDEX, name: 'installation_terms' });
  for (const l of lines) coll.insert(l);
  return coll;
}

const SEARCH = {
  installation_id: 'a',
  terms: { $all: ['ord', 'ord 12'] },
  at: { $gte: new Date(1_700_000_010_000), $lt: new Date(1_700_000_060_000) },
};
const NEWEST: SortSpec = [
  ['at', -1],
  ['_id', -1],
];

describe('multikey paths are tracked per index field', () => {
  it('mark only the fields that held an array, as mongod multiKeyPaths', () => {
    const coll = logCollection(logLines(20));
    const index = coll.getIndex('installation_terms')!;
    expect(index.multikey).toBe(true);
    expect(index.multiKeyPaths()).toEqual({ installation_id: [], terms: ['terms'], at: [] });
    const nested = new Collection('db', 'nested');
    nested.createIndex({ key: { 'a.b.c': 1, x: 1 }, name: 'abc_x' });
    nested.insert({ _id: 1, a: [{ b: { c: [1, 2] } }], x: 3 });
    expect(nested.getIndex('abc_x')!.multiKeyPaths()).toEqual({ 'a.b.c': ['a', 'a.b.c'], x: [] });
  });

  it('bound a non-multikey field of a multikey index on both sides and give the sort from the index', () => {
    const coll = logCollection(logLines(200));
    const plan = coll.plan(SEARCH, NEWEST)!;
    expect(plan.index.name).toBe('installation_terms');
    // `at` is bounded on both sides and comes in order; `_id` is sorted within each run of equal `at`.
    expect(plan.intervals).toHaveLength(1);
    expect(plan.intervals[0].lo).toHaveLength(3);
    expect(plan.intervals[0].hi).toHaveLength(3);
    expect(plan).toMatchObject({ sorted: false, sortedPrefix: 1 });
    expect(coll.plan(SEARCH, [['at', -1]])).toMatchObject({ sorted: true, sortedPrefix: 0 });
    const scan = new Collection('db', 'scan');
    for (const l of logLines(200)) scan.insert(l);
    const limit = 7;
    const before = coll.counters.docsExamined;
    const got = coll.find(SEARCH, { sort: NEWEST, limit });
    expect(got).toEqual(scan.find(SEARCH, { sort: NEWEST, limit }));
    // Read in time order and stopped after the run of ties that filled the page, not every candidate.
    const candidates = scan.find(SEARCH).length;
    expect(coll.counters.docsExamined - before).toBeLessThan(candidates);
  });

  it('stop giving a sort or intersecting bounds from a field once an update first writes an array to it', () => {
    const coll = new Collection('db', 'times');
    coll.createIndex({ key: { installation_id: 1, at: -1 }, name: 'installation_at' });
    for (const l of logLines(30)) coll.insert({ _id: l._id, installation_id: l.installation_id, at: l.at });
    const range = { installation_id: 'a', at: SEARCH.at };
    expect(coll.plan(range, [['at', -1]])).toMatchObject({ sorted: true });
    const index = coll.getIndex('installation_at')!;
    expect(index.multikey).toBe(false);
    expect(coll.find(range).map((d) => d._id)).not.toContain(4);
    const [target] = coll.find({ _id: 4 });
    // Neither date is inside the range, but one is after its start and the other before its end: a match.
    coll.replace(target, { ...target, at: [new Date(1_600_000_000_000), new Date(1_800_000_000_000)] });
    expect(index.multiKeyPaths()).toEqual({ installation_id: [], at: ['at'] });
    const plan = coll.plan(range, [['at', -1]])!;
    expect(plan).toMatchObject({ sorted: false, sortedPrefix: 0 });
    expect(coll.find(range).map((d) => d._id)).toContain(4);
    expect(coll.find(range, { sort: [['at', -1]] }).map((d) => d._id)).toContain(4);
  });

  it('never take a sort from a field that held an array: an array sorts by its least (greatest) element', () => {
    const coll = new Collection('db', 'arrays');
    coll.createIndex({ key: { a: 1 }, name: 'a_1' });
    coll.insert({ _id: 1, a: [0, 3] });
    coll.insert({ _id: 2, a: 2 });
    coll.insert({ _id: 3, a: [5, 1] });
    // The scan from 2 meets 2 (_id 2) before 3 (_id 1); the sort keys are 0 (_id 1), 1 (_id 3) and 2 (_id 2).
    expect(coll.find({ a: { $gte: 2 } }, { sort: [['a', 1]] }).map((d) => d._id)).toEqual([1, 3, 2]);
    expect(coll.find({ a: { $lte: 2 } }, { sort: [['a', -1]] }).map((d) => d._id)).toEqual([3, 1, 2]);
    expect(coll.plan({ a: { $gte: 2 } }, [['a', 1]])).toMatchObject({ sorted: false, sortedPrefix: 0 });
  });
});

// Documents with small values, an array in any field (a dotted `d.e` too), and repeated values so runs of ties
// and several keys per document are common.
const value = fc.integer({ min: 0, max: 4 });
const field = fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.constant(null));
const storedDoc = fc.record(
  {
    a: field,
    b: field,
    c: value,
    d: fc.oneof(fc.record({ e: field }), fc.array(fc.record({ e: value }), { maxLength: 2 })),
  },
  { requiredKeys: ['c'] },
);
const key = fc.constantFrom('a', 'b', 'c', 'd.e');
const indexKey = fc
  .uniqueArray(fc.tuple(key, fc.constantFrom(1, -1)), { minLength: 1, maxLength: 3, selector: ([k]) => k })
  .map((pairs) => Object.fromEntries(pairs) as Record<string, 1 | -1>);
const predicate = fc.oneof(
  value,
  fc.record({ $in: fc.array(value, { minLength: 1, maxLength: 3 }) }),
  fc.tuple(value, value).map(([lo, hi]) => ({ $gte: lo, $lt: hi + 1 })),
  fc.tuple(value, value).map(([lo, hi]) => ({ $gt: lo, $lte: hi })),
  fc.record({ $all: fc.array(value, { minLength: 1, maxLength: 2 }) }),
  value.map((v) => ({ $lte: v })),
);
const filter = fc.dictionary(key, predicate, { maxKeys: 3 });
const sort = fc
  .uniqueArray(fc.tuple(key, fc.constantFrom<1 | -1>(1, -1)), { maxLength: 2, selector: ([k]) => k })
  .chain((fields) => fc.constantFrom<1 | -1>(1, -1).map((d) => [...fields, ['_id', d]] as SortSpec));

describe('index plans over documents with arrays in random fields', () => {
  it('answer find exactly as a full scan of an unindexed twin does (sorted, skipped, limited)', () => {
    fc.assert(
      fc.property(
        fc.array(storedDoc, { maxLength: 40 }),
        fc.array(indexKey, { minLength: 1, maxLength: 3 }),
        filter,
        fc.option(sort, { nil: undefined }),
        fc.nat(5),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        (docs, keys, f, s, skip, limit) => {
          const indexed = new Collection('db', 'indexed');
          const twin = new Collection('db', 'twin');
          keys.forEach((k, i) => {
            try {
              indexed.createIndex({ key: k, name: `i${i}` });
            } catch {
              // The same key pattern twice is refused by name only in the command layer; skip the duplicate.
            }
          });
          docs.forEach((d, i) => {
            const doc = { _id: i, ...d };
            try {
              indexed.insert(doc);
            } catch {
              return; // parallel arrays in one compound index: refused, as mongod
            }
            twin.insert(doc);
          });
          // Without a sort, which documents a skip or limit leaves is unspecified: compare whole answers then.
          const opts = s ? { sort: s, skip, limit } : {};
          const got = indexed.find(f, opts).map((d) => d._id);
          const want = twin.find(f, opts).map((d) => d._id);
          if (s) expect(got).toEqual(want);
          else expect([...got].sort()).toEqual([...want].sort());
          expect(got).toHaveLength(new Set(got).size);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('explain and restart, through the driver', () => {
  let dir: string;
  let server: EmbeddedMongoServer;
  let client: MongoClient;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-multikey-'));
    server = await EmbeddedMongoServer.start({ dataDir: dir });
    client = await MongoClient.connect(server.uri);
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const stages = (plan: Document): string[] =>
    plan ? [String(plan.stage), ...stages(plan.inputStage as Document)] : [];
  const explainSearch = async (c: MongoClient): Promise<Document> => {
    const reply = await c
      .db('mk')
      .collection('logs')
      .find(SEARCH)
      .sort({ at: -1, _id: -1 })
      .limit(10)
      .explain('queryPlanner');
    return (reply.queryPlanner as Document).winningPlan as Document;
  };

  it('shows no blocking SORT for the log search shape, and its multiKeyPaths survive a restart', async () => {
    const logs = client.db('mk').collection('logs');
    await logs.createIndex(LOG_INDEX, { name: 'installation_terms' });
    await logs.insertMany(logLines(60));
    const plan = await explainSearch(client);
    expect(stages(plan)).toEqual(['FETCH', 'IXSCAN']);
    expect(plan.partialSort).toEqual({ sortPattern: { at: -1, _id: -1 }, sortedBy: { at: -1 } });
    const ixscan = plan.inputStage as Document;
    expect(ixscan).toMatchObject({
      indexName: 'installation_terms',
      isMultiKey: true,
      multiKeyPaths: { installation_id: [], terms: ['terms'], at: [] },
    });
    const byTime = await logs.find(SEARCH).sort({ at: -1 }).explain('queryPlanner');
    expect(stages((byTime.queryPlanner as Document).winningPlan as Document)).toEqual(['FETCH', 'IXSCAN']);
    const unindexed = await logs.find({ installation_id: 'a' }).sort({ message: 1 }).explain('queryPlanner');
    expect(stages((unindexed.queryPlanner as Document).winningPlan as Document)[0]).toBe('SORT');

    await client.close();
    await server.stop();
    server = await EmbeddedMongoServer.start({ dataDir: dir });
    client = await MongoClient.connect(server.uri);
    const again = await explainSearch(client);
    expect((again.inputStage as Document).multiKeyPaths).toEqual({
      installation_id: [],
      terms: ['terms'],
      at: [],
    });
    const page = await client.db('mk').collection('logs').find(SEARCH).sort({ at: -1, _id: -1 }).limit(10).toArray();
    const want = logLines(60)
      .filter((l) => l.installation_id === 'a' && (l.terms as string[]).includes('ord 12'))
      .filter((l) => (l.at as Date) >= SEARCH.at.$gte && (l.at as Date) < SEARCH.at.$lt)
      .sort((x, y) => (y.at as Date).getTime() - (x.at as Date).getTime() || (y._id as number) - (x._id as number))
      .slice(0, 10);
    expect(page.map((d) => d._id as unknown)).toEqual(want.map((l) => l._id as number));
  });
});
