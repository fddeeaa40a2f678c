import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type ConnectionInfo } from '../engine.js';
import { EmbeddedMongoServer } from '../index.js';
import type { Doc } from '../paths.js';

const conn: ConnectionInfo = {
  id: 1,
  remote: 'test',
  closed: new Promise<void>(() => undefined),
  close: () => undefined,
};

async function run(engine: Engine, cmd: Doc): Promise<Doc> {
  const reply = await engine.run({ ...cmd, $db: 'counts' }, conn);
  expect(reply).toMatchObject({ ok: 1 });
  return reply;
}

async function aggregate(engine: Engine, coll: string, pipeline: Doc[]): Promise<Doc[]> {
  const reply = await run(engine, { aggregate: coll, pipeline, cursor: {} });
  return (reply.cursor as { firstBatch: Doc[] }).firstBatch;
}

const small = fc.integer({ min: 0, max: 5 });
const word = fc.constantFrom('x', 'y', 'z');
const storedDocs = fc.array(
  fc.record({ a: fc.oneof(small, fc.array(small, { maxLength: 3 })), b: word }, { requiredKeys: ['b'] }),
  { maxLength: 30 },
);
const indexSet = fc.subarray([{ a: 1 }, { a: 1, b: 1 }, { b: 1 }, { b: 1, a: -1 }], { minLength: 1 });
const filter = fc.oneof(
  fc.constant({}),
  small.map((v) => ({ a: v })),
  word.map((v) => ({ b: v })),
  fc.tuple(small, word).map(([a, b]) => ({ a, b })),
  fc.array(small, { minLength: 1, maxLength: 3 }).map((vs) => ({ a: { $in: vs } })),
  fc.tuple(small, small).map(([lo, hi]) => ({ a: { $gte: lo, $lt: hi } })),
  fc.tuple(word, small).map(([b, lo]) => ({ b, a: { $gt: lo } })),
  small.map((v) => ({ a: { $ne: v } })),
);
const window = fc.record({
  skip: fc.option(fc.nat(10), { nil: undefined }),
  limit: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
});

function countPipelines(match: Doc, w: { skip?: number; limit?: number }): Doc[][] {
  const middle: Doc[] = [];
  if (w.skip !== undefined) middle.push({ $skip: w.skip });
  if (w.limit !== undefined) middle.push({ $limit: w.limit });
  return [
    [{ $match: match }, ...middle, { $group: { _id: 1, n: { $sum: 1 } } }],
    [{ $match: match }, ...middle, { $count: 'total' }],
    [...middle, { $group: { _id: 'all', c: { $sum: 1 } } }],
  ];
}

describe('counts answered from an index, through the aggregate command', () => {
  it('equal what a full scan of an unindexed copy counts, and read no document when the index covers the filter', async () => {
    const engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs' });
    let round = 0;
    let coveredByIndex = 0;
    try {
      await fc.assert(
        fc.asyncProperty(storedDocs, indexSet, filter, window, async (docs, keys, match, w) => {
          round++;
          const indexed = `indexed${round}`;
          const plain = `plain${round}`;
          const rows = docs.map((d, i) => ({ _id: i, ...d }));
          for (const name of [indexed, plain]) {
            await run(engine, { create: name });
            if (rows.length > 0) await run(engine, { insert: name, documents: rows });
          }
          await run(engine, {
            createIndexes: indexed,
            indexes: keys.map((key, i) => ({ key, name: `i${i}` })),
          });
          for (const pipeline of countPipelines(match, w)) {
            const before = engine.catalog.counters.docsExamined;
            const got = await aggregate(engine, indexed, pipeline);
            const examined = engine.catalog.counters.docsExamined - before;
            expect(got).toEqual(await aggregate(engine, plain, pipeline));
            const filterOf = pipeline[0].$match as Doc | undefined;
            if (!filterOf || Object.keys(filterOf).length === 0) {
              expect(examined).toBe(0); // the collection's size
            } else if (engine.catalog.get(`counts.${indexed}`)!.countFromIndex(filterOf)) {
              coveredByIndex++;
              expect(examined).toBe(0);
            }
          }
          await run(engine, { drop: indexed });
          await run(engine, { drop: plain });
        }),
        { numRuns: 150 },
      );
    } finally {
      engine.stop();
    }
    expect(coveredByIndex).toBeGreaterThan(30);
  });
});

describe('counts from an index through the driver', () => {
  let server: EmbeddedMongoServer;
  let client: MongoClient;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
    client = new MongoClient(server.uri);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  async function scanned(): Promise<number> {
    const status = await client.db('admin').command({ serverStatus: 1 });
    return Number((status.metrics as { queryExecutor: { scannedObjects: number } }).queryExecutor.scannedObjects);
  }

  it('reads no document for countDocuments, $count and count on an indexed filter; reads them all otherwise', async () => {
    const c = client.db('counts').collection('events');
    await c.createIndex({ kind: 1, at: 1 });
    await c.insertMany(
      Array.from({ length: 200 }, (_, i) => ({ kind: i % 4 === 0 ? 'error' : 'info', at: i, note: `n${i}` })),
    );
    const start = await scanned();
    expect(await c.countDocuments({ kind: 'error' })).toBe(50);
    expect(await c.countDocuments({ kind: 'error', at: { $gte: 100 } })).toBe(25);
    expect(await c.countDocuments({ kind: 'info' }, { skip: 10, limit: 100 })).toBe(100);
    expect(await c.aggregate([{ $match: { kind: { $in: ['error', 'info'] } } }, { $count: 'n' }]).toArray()).toEqual([
      { n: 200 },
    ]);
    expect(await c.countDocuments({})).toBe(200);
    expect(await client.db('counts').command({ count: 'events', query: { kind: 'info' } })).toMatchObject({ n: 150 });
    expect(await scanned()).toBe(start);
    // Not covered by the index: every document is read to test it.
    expect(await c.countDocuments({ note: 'n7' })).toBe(1);
    expect(await scanned()).toBe(start + 200);
  });

  async function keysRead(): Promise<number> {
    const status = await client.db('admin').command({ serverStatus: 1 });
    return Number((status.metrics as { queryExecutor: { scanned: number } }).queryExecutor.scanned);
  }

  it('counts a log-shaped filter from index entries alone, reading no more entries than a limit needs', async () => {
    const c = client.db('counts').collection('lines');
    await c.createIndex({ installation: 1, terms: 1, at: -1, _id: -1 });
    await c.createIndex({ installation: 1, severity: 1, at: -1, _id: -1 });
    await c.insertMany(
      Array.from({ length: 600 }, (_, i) => ({
        installation: i % 2 ? 'a' : 'b',
        terms: i % 3 ? ['ord', 'ord 12'] : ['ord', 'dri'],
        severity: 10 * (1 + (i % 4)),
        at: new Date(Date.UTC(2026, 0, 1) + i * 60_000),
      })),
    );
    const since = new Date(Date.UTC(2026, 0, 1) + 100 * 60_000);
    const db = client.db('counts');
    const term = { installation: 'a', terms: 'ord 12', at: { $gte: since } };
    const found = (await c.find(term, { projection: { _id: 1 } }).toArray()).length;
    const docs = await scanned();
    const keys = await keysRead();
    // A term (a point on the array field) and a time range: interval sizes alone.
    expect((await db.command({ count: 'lines', query: term })).n).toBe(found);
    expect(await keysRead()).toBe(keys);
    // A range on severity, then the time range: split into the severities held, still interval sizes.
    const warn = { installation: 'a', severity: { $gte: 30 }, at: { $gte: since } };
    expect(await c.countDocuments(warn)).toBe(250 / 2);
    expect(await keysRead()).toBe(keys);
    // Two terms of the array field: entries are read (a line holds both), and no more than the limit needs.
    const either = { installation: 'a', terms: { $in: ['ord 12', 'dri'] } };
    expect((await db.command({ count: 'lines', query: either, limit: 20, skip: 5 })).n).toBe(20);
    expect(await keysRead()).toBe(keys + 25);
    expect(await c.countDocuments(either, { limit: 7 })).toBe(7);
    expect(await keysRead()).toBe(keys + 25 + 7);
    expect(await c.countDocuments(either)).toBe(300);
    expect(await scanned()).toBe(docs);
  });

  it('reads a range on severity then time newest first per severity, merged, and explain shows it stopping at the limit', async () => {
    const c = client.db('counts').collection<{ _id: number }>('merged');
    await c.createIndex({ installation: 1, severity: 1, at: -1, _id: -1 });
    await c.createIndex({ installation: 1, terms: 1, at: -1, _id: -1 });
    const lines = Array.from({ length: 400 }, (_, i) => ({
      _id: i,
      installation: i % 2 ? 'a' : 'b',
      terms: i % 3 ? ['ord', 'ord 12'] : ['dri'],
      severity: 10 * (1 + (i % 4)),
      at: new Date(Date.UTC(2026, 0, 1) + (i % 97) * 60_000),
    }));
    await c.insertMany(lines);
    const since = new Date(Date.UTC(2026, 0, 1) + 10 * 60_000);
    const newest = (xs: typeof lines): number[] =>
      xs
        .sort((x, y) => y.at.getTime() - x.at.getTime() || y._id - x._id)
        .slice(0, 10)
        .map((l) => l._id);

    // Installation a's lines have severities 20 and 40: two runs.
    const warn = { installation: 'a', severity: { $gte: 20 }, at: { $gte: since } };
    const page = await c.find(warn).sort({ at: -1, _id: -1 }).limit(10).toArray();
    expect(page.map((d) => d._id as unknown)).toEqual(
      newest(lines.filter((l) => l.installation === 'a' && l.severity >= 20 && l.at >= since)),
    );
    const merged = await c.find(warn).sort({ at: -1, _id: -1 }).limit(10).explain('executionStats');
    const plan = (merged.queryPlanner as Doc).winningPlan as Doc;
    expect(plan).toMatchObject({
      stage: 'FETCH',
      inputStage: { stage: 'SORT_MERGE', indexName: 'installation_1_severity_1_at_-1__id_-1' },
    });
    expect(merged.executionStats).toMatchObject({ nReturned: 10, totalDocsExamined: 10 });
    expect((merged.executionStats as Doc).totalKeysExamined).toBeLessThanOrEqual(10 + 2);

    const term = { installation: 'a', terms: 'ord 12', at: { $gte: since } };
    const search = await c.find(term).sort({ at: -1, _id: -1 }).limit(5).explain('executionStats');
    expect((search.queryPlanner as Doc).winningPlan).toMatchObject({
      stage: 'FETCH',
      inputStage: { stage: 'IXSCAN', isMultiKey: true },
    });
    expect(search.executionStats).toMatchObject({ nReturned: 5, totalKeysExamined: 5, totalDocsExamined: 5 });
    const counted = await client
      .db('counts')
      .command({ explain: { count: 'merged', query: warn, limit: 3 }, verbosity: 'executionStats' });
    expect(counted).toMatchObject({
      queryPlanner: { winningPlan: { stage: 'COUNT', inputStage: { stage: 'COUNT_SCAN' } } },
      executionStats: { nReturned: 3, totalKeysExamined: 0, totalDocsExamined: 0 },
    });
  });
});
