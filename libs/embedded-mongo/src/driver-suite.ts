import { Double, Int32, Long, MongoClient, MongoServerError, ObjectId, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSuiteDb } from './testing/suite-db.js';

/**
 * Behaviour the application relies on, driven only through the official driver and Mongoose.
 * The same suite runs against the embedded engine and, when MONGODB_TEST_URI is set, a real MongoDB
 * replica set, so any divergence shows up as a failure on one side.
 */
interface CursorReply {
  cursor: { firstBatch: unknown[]; nextBatch: unknown[]; id: Long | number };
}

export interface SuiteTarget {
  uri: () => string;
  /** TTL monitor runs quickly (embedded with a short interval); real MongoDB sweeps every 60 s. */
  fastTtl: boolean;
}

async function expectServerError(p: Promise<unknown>, code: number): Promise<MongoServerError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(code);
    return err as MongoServerError;
  }
  throw new Error(`expected MongoServerError ${code}, but the operation succeeded`);
}

export function defineDriverSuite(target: SuiteTarget): void {
  let client: MongoClient;
  let db: Db;
  const dbName = connectSuiteDb(target.uri, 'emtest', (c, d) => {
    client = c;
    db = d;
  });

  describe('CRUD', () => {
    it('projects plain inclusions and exclusions through arrays, in find and a leading aggregate $project', async () => {
      const c = db.collection('projection');
      await c.insertMany([
        { _id: 1 as never, a: [[{ b: 1, c: 2 }, 3], { b: 4 }, null], d: { e: 5, f: [6] }, g: 'x' },
        { _id: 2 as never, a: 7, d: [{ e: 8 }, 9], g: 'y' },
      ]);
      const cases: [object, object[]][] = [
        [
          { 'a.b': 1, g: 1 },
          [
            { _id: 1, a: [[{ b: 1 }], { b: 4 }], g: 'x' },
            { _id: 2, g: 'y' },
          ],
        ],
        [{ 'd.e': 1, _id: 0 }, [{ d: { e: 5 } }, { d: [{ e: 8 }] }]],
        [
          { 'a.b': 0, d: 0 },
          [
            { _id: 1, a: [[{ c: 2 }, 3], {}, null], g: 'x' },
            { _id: 2, a: 7, g: 'y' },
          ],
        ],
        [
          { g: 0, _id: 1 },
          [
            { _id: 1, a: [[{ b: 1, c: 2 }, 3], { b: 4 }, null], d: { e: 5, f: [6] } },
            { _id: 2, a: 7, d: [{ e: 8 }, 9] },
          ],
        ],
        [{ _id: 1 }, [{ _id: 1 }, { _id: 2 }]],
      ];
      for (const [projection, expected] of cases) {
        expect(await c.find({}, { projection, sort: { _id: 1 } }).toArray()).toEqual(expected);
        expect(await c.aggregate([{ $match: {} }, { $sort: { _id: 1 } }, { $project: projection }]).toArray()).toEqual(
          expected,
        );
        expect(await c.aggregate([{ $project: projection }, { $sort: { _id: 1 } }]).toArray()).toEqual(expected);
      }
    });

    it('inserts, finds with filter/sort/projection/skip/limit, updates and deletes', async () => {
      const c = db.collection('crud');
      const res = await c.insertMany([
        { name: 'ada', age: 36, tags: ['math', 'code'] },
        { name: 'bob', age: 25, tags: ['ops'] },
        { name: 'cy', age: 41, tags: [] },
        { name: 'dee', age: 25 },
      ]);
      expect(res.insertedCount).toBe(4);
      const young = await c
        .find({ age: { $lt: 40 } }, { projection: { _id: 0, name: 1 } })
        .sort({ age: 1, name: -1 })
        .toArray();
      expect(young).toEqual([{ name: 'dee' }, { name: 'bob' }, { name: 'ada' }]);
      expect(
        await c
          .find({})
          .sort({ name: 1 })
          .skip(1)
          .limit(2)
          .map((d) => d.name as string)
          .toArray(),
      ).toEqual(['bob', 'cy']);
      expect(await c.countDocuments({ tags: 'code' })).toBe(1);
      const projected = await c.findOne({ name: 'ada' }, { projection: { age: 1, name: 1 } });
      // _id leads; the order of the other fields differs between mongod's query engines, so it is not checked.
      expect(Object.keys(projected!)[0]).toBe('_id');
      expect(Object.keys(projected!).sort()).toEqual(['_id', 'age', 'name']);
      expect((await c.distinct('age')).sort()).toEqual([25, 36, 41]);

      const upd = await c.updateMany({ age: 25 }, { $inc: { age: 1 }, $set: { flag: true } });
      expect(upd.matchedCount).toBe(2);
      expect(upd.modifiedCount).toBe(2);
      expect(await c.countDocuments({ age: 26, flag: true })).toBe(2);
      const noop = await c.updateOne({ name: 'ada' }, { $set: { age: 36 } });
      expect(noop.matchedCount).toBe(1);
      expect(noop.modifiedCount).toBe(0);

      const del = await c.deleteMany({ age: { $gte: 26 } });
      expect(del.deletedCount).toBe(4);
      expect(await c.countDocuments()).toBe(0);
    });

    it('keeps _id first and rejects changing it', async () => {
      const c = db.collection('ids');
      await c.insertOne({ a: 1, _id: 'x' } as never);
      const raw = await c.findOne({ _id: 'x' } as never);
      expect(Object.keys(raw!)).toEqual(['_id', 'a']);
      await expectServerError(c.updateOne({ _id: 'x' } as never, { $set: { _id: 'y' } }), 66);
    });

    it('compares int, long and double as numbers', async () => {
      const c = db.collection('numbers');
      await c.insertMany([
        { v: new Int32(4) },
        { v: Long.fromNumber(5) },
        { v: new Double(5.5) },
        { v: new Double(6) },
      ]);
      expect(await c.countDocuments({ v: { $gt: 4.5 } })).toBe(3);
      expect(await c.countDocuments({ v: 5 })).toBe(1);
      expect(await c.countDocuments({ v: Long.fromNumber(4) })).toBe(1);
    });

    it('sorts mixed BSON types in MongoDB order, arrays by min (asc) / max (desc) element', async () => {
      const c = db.collection('mixed');
      const oid = new ObjectId('000000000000000000000001');
      await c.insertMany([
        { _id: 1, v: 'str' },
        { _id: 2, v: 10 },
        { _id: 3, v: null },
        { _id: 4 },
        { _id: 5, v: oid },
        { _id: 6, v: new Date(0) },
        { _id: 7, v: true },
        { _id: 8, v: { a: 1 } },
        { _id: 9, v: [0, 100] },
      ] as never[]);
      const asc = await c
        .find({})
        .sort({ v: 1, _id: 1 })
        .map((d) => d._id)
        .toArray();
      expect(asc).toEqual([3, 4, 9, 2, 1, 8, 5, 7, 6]);
      const desc = await c
        .find({})
        .sort({ v: -1, _id: 1 })
        .map((d) => d._id)
        .toArray();
      expect(desc).toEqual([6, 7, 5, 8, 1, 9, 2, 3, 4]);
      // $gt stays within the type bracket: a Date is not greater than an ObjectId.
      expect(await c.countDocuments({ v: { $gt: oid } })).toBe(0);
      expect(await c.countDocuments({ v: null })).toBe(2);
    });
  });

  describe('cursors', () => {
    it('pages through results with getMore and reports killed cursors as CursorNotFound', async () => {
      const c = db.collection('cursor');
      await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
      const all = await c.find({}).sort({ i: 1 }).batchSize(30).toArray();
      expect(all.map((d) => d.i as number)).toEqual(Array.from({ length: 250 }, (_, i) => i));

      const first = (await db.command({ find: 'cursor', filter: {}, batchSize: 10 })) as CursorReply;
      expect(first.cursor.firstBatch).toHaveLength(10);
      // The driver hands small ids back as numbers; getMore needs an int64.
      const raw = first.cursor.id;
      const id = typeof raw === 'number' ? Long.fromNumber(raw) : raw;
      expect(id.isZero()).toBe(false);
      const more = (await db.command({ getMore: id, collection: 'cursor', batchSize: 15 })) as CursorReply;
      expect(more.cursor.nextBatch).toHaveLength(15);
      const killed = (await db.command({ killCursors: 'cursor', cursors: [id] })) as { cursorsKilled: Long[] };
      expect(killed.cursorsKilled.map(String)).toEqual([String(id)]);
      await expectServerError(db.command({ getMore: id, collection: 'cursor' }), 43);

      const defaultBatch = (await db.command({ find: 'cursor', filter: {} })) as CursorReply;
      expect(defaultBatch.cursor.firstBatch).toHaveLength(101);
      await db.command({ killCursors: 'cursor', cursors: [Long.fromValue(defaultBatch.cursor.id)] });
      const limited = (await db.command({ find: 'cursor', filter: {}, limit: 5, batchSize: 2 })) as CursorReply;
      const rest = (await db.command({
        getMore: Long.fromValue(limited.cursor.id),
        collection: 'cursor',
      })) as CursorReply;
      expect(rest.cursor.nextBatch).toHaveLength(3);
      expect(Number(rest.cursor.id)).toBe(0);
    });
  });

  describe('updates and upserts', () => {
    it('upserts seed from the query and apply $setOnInsert only on insert', async () => {
      const c = db.collection('upsert');
      const r1 = await c.updateOne(
        { key: 'k1', 'meta.kind': 'x' },
        { $set: { v: 1 }, $setOnInsert: { created: 1 } },
        { upsert: true },
      );
      expect(r1.upsertedCount).toBe(1);
      const doc = await c.findOne({ _id: r1.upsertedId! });
      expect(doc).toMatchObject({ key: 'k1', meta: { kind: 'x' }, v: 1, created: 1 });
      const r2 = await c.updateOne({ key: 'k1' }, { $set: { v: 2 }, $setOnInsert: { created: 2 } }, { upsert: true });
      expect(r2.upsertedCount).toBe(0);
      expect(r2.modifiedCount).toBe(1);
      expect(await c.findOne({ key: 'k1' })).toMatchObject({ v: 2, created: 1 });

      const r3 = await c.replaceOne({ key: 'k2' }, { key: 'k2', whole: true }, { upsert: true });
      expect(r3.upsertedCount).toBe(1);
      const replaced = await c.replaceOne({ key: 'k2' }, { key: 'k2', other: 1 });
      expect(replaced.modifiedCount).toBe(1);
      expect(await c.findOne({ key: 'k2' }, { projection: { _id: 0 } })).toEqual({ key: 'k2', other: 1 });
    });

    it('supports positional $, arrayFilters and array operators', async () => {
      const c = db.collection('arrays');
      await c.insertOne({
        _id: 1,
        items: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 2 },
        ],
        tags: ['x'],
      } as never);
      await c.updateOne({ _id: 1, 'items.sku': 'b' } as never, { $inc: { 'items.$.qty': 10 } });
      await c.updateOne(
        { _id: 1 } as never,
        { $set: { 'items.$[it].flag': true } },
        { arrayFilters: [{ 'it.qty': { $lt: 5 } }] },
      );
      await c.updateOne(
        { _id: 1 } as never,
        { $addToSet: { tags: { $each: ['x', 'y'] } }, $push: { log: 'one' } } as never,
      );
      await c.updateOne({ _id: 1 } as never, { $pull: { tags: 'x' } } as never);
      await expectServerError(c.updateOne({ _id: 1 } as never, { $inc: { tags: 1 } }), 14);
      await expectServerError(c.updateOne({ _id: 1 } as never, { $push: { 'items.0.sku': 1 } } as never), 2);
      await expectServerError(
        c.updateOne({ _id: 1 } as never, { $set: { log: [] }, $push: { log: 'x' } } as never),
        40,
      );
      expect(await c.findOne({ _id: 1 } as never)).toEqual({
        _id: 1,
        items: [
          { sku: 'a', qty: 1, flag: true },
          { sku: 'b', qty: 12 },
        ],
        tags: ['y'],
        log: ['one'],
      });
    });

    it('findOneAndUpdate returns before/after documents, honours sort, and upserts', async () => {
      const c = db.collection('fam');
      await c.insertMany([
        { q: 1, n: 1 },
        { q: 1, n: 2 },
      ]);
      const before = await c.findOneAndUpdate(
        { q: 1 },
        { $set: { hit: true } },
        { sort: { n: -1 }, returnDocument: 'before' },
      );
      expect(before).toMatchObject({ n: 2 });
      expect(before).not.toHaveProperty('hit');
      const after = await c.findOneAndUpdate(
        { q: 1, hit: true },
        { $inc: { n: 5 } },
        { returnDocument: 'after', projection: { _id: 0 } },
      );
      expect(after).toEqual({ q: 1, n: 7, hit: true });
      const up = await c.findOneAndUpdate({ q: 9 }, { $set: { n: 0 } }, { upsert: true, returnDocument: 'after' });
      expect(up).toMatchObject({ q: 9, n: 0 });
      const gone = await c.findOneAndDelete({ q: 9 });
      expect(gone).toMatchObject({ q: 9 });
      expect(await c.findOneAndUpdate({ q: 404 }, { $set: { n: 1 } })).toBeNull();
    });
  });

  describe('aggregation', () => {
    beforeAll(async () => {
      await db.collection('orders').insertMany([
        { _id: 1, cust: 'a', amount: 10, at: new Date('2024-03-01T10:15:00Z'), items: ['x', 'y'] },
        { _id: 2, cust: 'b', amount: 20, at: new Date('2024-03-01T23:59:00Z'), items: ['y'] },
        { _id: 3, cust: 'a', amount: 30, at: new Date('2024-03-02T00:01:00Z'), items: [] },
      ] as never[]);
      await db.collection('customers').insertMany([
        { _id: 'a', name: 'Ann' },
        { _id: 'b', name: 'Ben' },
      ] as never[]);
    });

    it('counts with $count (nothing for no input) and refuses bad count fields with their codes', async () => {
      const orders = db.collection('orders');
      expect(await orders.aggregate([{ $match: { cust: 'a' } }, { $count: 'n' }]).toArray()).toEqual([{ n: 2 }]);
      expect(await orders.aggregate([{ $match: { cust: 'zz' } }, { $count: 'n' }]).toArray()).toEqual([]);
      expect(await orders.aggregate([{ $count: 'all' }]).toArray()).toEqual([{ all: 3 }]);
      for (const [spec, code] of [
        [1, 40156],
        ['', 40157],
        ['$n', 40158],
        ['a.b', 40160],
      ] as const)
        await expectServerError(orders.aggregate([{ $count: spec }]).toArray(), code);
    });

    it('groups, sorts, projects, looks up and unwinds', async () => {
      const rows = await db
        .collection('orders')
        .aggregate([
          { $match: { amount: { $gte: 10 } } },
          { $group: { _id: '$cust', total: { $sum: '$amount' }, n: { $sum: 1 } } },
          { $sort: { total: -1 } },
          { $lookup: { from: 'customers', localField: '_id', foreignField: '_id', as: 'c' } },
          { $unwind: '$c' },
          { $project: { _id: 0, name: '$c.name', total: 1, n: 1 } },
        ])
        .toArray();
      expect(rows).toEqual([
        { total: 40, n: 2, name: 'Ann' },
        { total: 20, n: 1, name: 'Ben' },
      ]);
      const unwound = await db
        .collection('orders')
        .aggregate([{ $unwind: '$items' }, { $count: 'n' }])
        .toArray();
      expect(unwound).toEqual([{ n: 3 }]);
    });

    it('runs $facet, $dateTrunc and $bucket with MongoDB boundary semantics', async () => {
      const [facets] = await db
        .collection('orders')
        .aggregate([
          {
            $facet: {
              count: [{ $count: 'n' }],
              days: [
                { $group: { _id: { $dateTrunc: { date: '$at', unit: 'day' } }, n: { $sum: 1 } } },
                { $sort: { _id: 1 } },
              ],
            },
          },
        ])
        .toArray();
      expect(facets.count).toEqual([{ n: 3 }]);
      expect(facets.days).toEqual([
        { _id: new Date('2024-03-01T00:00:00Z'), n: 2 },
        { _id: new Date('2024-03-02T00:00:00Z'), n: 1 },
      ]);
      const buckets = await db
        .collection('orders')
        .aggregate([
          { $bucket: { groupBy: '$amount', boundaries: [0, 20, 30], default: 'other', output: { n: { $sum: 1 } } } },
        ])
        .toArray();
      // 20 opens the second bucket; 30 equals the last boundary, so it falls to the default.
      expect(buckets).toEqual([
        { _id: 0, n: 1 },
        { _id: 20, n: 1 },
        { _id: 'other', n: 1 },
      ]);
    });
  });

  describe('indexes', () => {
    it('enforces unique indexes with 11000, keyPattern and keyValue; ordered writes stop at the first error', async () => {
      const c = db.collection('uniq');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.insertOne({ email: 'a@x' });
      const err = await expectServerError(c.insertOne({ email: 'a@x' }), 11000);
      expect(err.keyPattern).toEqual({ email: 1 });
      expect(err.keyValue).toEqual({ email: 'a@x' });
      expect(err.message).toContain('email_1');

      const ordered = await c
        .insertMany([{ email: 'b@x' }, { email: 'a@x' }, { email: 'c@x' }])
        .catch((e: unknown) => e);
      expect((ordered as { code?: number }).code).toBe(11000);
      expect(await c.countDocuments({ email: { $in: ['b@x', 'c@x'] } })).toBe(1);
      await c
        .insertMany([{ email: 'd@x' }, { email: 'a@x' }, { email: 'e@x' }], { ordered: false })
        .catch(() => undefined);
      expect(await c.countDocuments({ email: { $in: ['d@x', 'e@x'] } })).toBe(2);

      await c.updateOne({ email: 'b@x' }, { $set: { email: 'a@x' } }).then(
        () => {
          throw new Error('expected duplicate key');
        },
        (e: MongoServerError) => expect(e.code).toBe(11000),
      );
    });

    it('supports compound, sparse, partial and multikey unique indexes', async () => {
      const c = db.collection('idxkinds');
      await c.createIndex({ org: 1, slug: 1 }, { unique: true });
      await c.insertMany([
        { org: 1, slug: 'a' },
        { org: 2, slug: 'a' },
      ]);
      await expectServerError(c.insertOne({ org: 1, slug: 'a' }), 11000);

      const s = db.collection('sparse');
      await s.createIndex({ code: 1 }, { unique: true, sparse: true });
      await s.insertMany([{ x: 1 }, { x: 2 }, { code: 'c' }]);
      await expectServerError(s.insertOne({ code: 'c' }), 11000);

      const p = db.collection('partial');
      await p.createIndex({ name: 1 }, { unique: true, partialFilterExpression: { active: true } });
      await p.insertMany([
        { name: 'n', active: false },
        { name: 'n', active: false },
        { name: 'n', active: true },
      ]);
      await expectServerError(p.insertOne({ name: 'n', active: true }), 11000);

      const m = db.collection('multikey');
      await m.createIndex({ tags: 1 }, { unique: true });
      await m.insertOne({ tags: ['a', 'b', 'a'] });
      await expectServerError(m.insertOne({ tags: ['c', 'b'] }), 11000);
      expect(await m.countDocuments({ tags: 'b' })).toBe(1);

      const par = db.collection('parallel');
      await par.createIndex({ a: 1, b: 1 });
      await par.insertOne({ a: [1, 2], b: 1 });
      await expectServerError(par.insertOne({ a: [1, 2], b: [3, 4] }), 171);

      const names = ((await c.listIndexes().toArray()) as { name: string }[]).map((i) => i.name);
      expect(names).toEqual(['_id_', 'org_1_slug_1']);
      await c.dropIndex('org_1_slug_1');
      await c.insertOne({ org: 1, slug: 'a' });
    });

    it('finds, counts, updates and deletes by two equalities on one indexed array field in $and', async () => {
      const c = db.collection('andtags');
      await c.createIndex({ tags: 1 });
      await c.insertMany([
        { _id: 1, tags: ['a', 'b'] },
        { _id: 2, tags: ['a'] },
        { _id: 3, tags: 'b' },
        { _id: 4, tags: ['b', 'c', 'a'] },
      ] as never[]);
      const both = { $and: [{ tags: 'a' }, { tags: 'b' }] };
      const ids = async (filter: object): Promise<unknown[]> =>
        (await c.find(filter, { sort: { _id: 1 } }).toArray()).map((d) => d._id);
      expect(await ids(both)).toEqual([1, 4]);
      expect(await ids({ tags: 'a', $and: [{ tags: { $in: ['b', 'z'] } }] })).toEqual([1, 4]);
      expect(await c.countDocuments(both)).toBe(2);
      expect((await c.aggregate([{ $match: both }, { $count: 'n' }]).toArray())[0]).toEqual({ n: 2 });
      expect((await c.updateMany(both, { $set: { hit: true } })).modifiedCount).toBe(2);
      expect((await c.deleteMany(both)).deletedCount).toBe(2);
      expect(await ids({})).toEqual([2, 3]);
    });

    it('refuses to build a unique index over duplicate data', async () => {
      const c = db.collection('dupdata');
      await c.insertMany([{ k: 1 }, { k: 1 }]);
      await expectServerError(c.createIndex({ k: 1 }, { unique: true }), 11000);
      expect(((await c.listIndexes().toArray()) as { name: string }[]).map((i) => i.name)).toEqual(['_id_']);
    });

    it.skipIf(!target.fastTtl)('expires documents through a TTL index', async () => {
      const c = db.collection('ttl');
      await c.createIndex({ at: 1 }, { expireAfterSeconds: 1 });
      await c.insertMany([
        { at: new Date(Date.now() - 60_000), old: true },
        { at: new Date(Date.now() + 3_600_000) },
        { at: 'not a date' },
      ]);
      const deadline = Date.now() + 5000;
      while ((await c.countDocuments({ old: true })) > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(await c.countDocuments({ old: true })).toBe(0);
      expect(await c.countDocuments()).toBe(2);
    });
  });

  describe('catalog commands and errors', () => {
    it('creates, lists and drops collections with MongoDB error codes', async () => {
      await db.createCollection('made');
      await expectServerError(db.createCollection('made'), 48);
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names).toContain('made');
      await expectServerError(db.command({ listIndexes: 'missing_coll' }), 26);
      expect((await db.command({ collMod: 'made', validationLevel: 'moderate' })).ok).toBe(1);
      await expectServerError(db.command({ collMod: 'missing_coll', validationLevel: 'moderate' }), 26);
      await expectServerError(db.command({ noSuchCommandAtAll: 1 }), 59);
      expect(await db.collection('made').drop()).toBe(true);
      const admin = client.db('admin');
      const hello = await admin.command({ hello: 1 });
      expect(hello.isWritablePrimary).toBe(true);
      expect(hello.setName).toEqual(expect.any(String));
      expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
      expect((await admin.command({ ping: 1 })).ok).toBe(1);
      expect((await admin.command({ buildInfo: 1 })).version).toEqual(expect.any(String));
      expect((await admin.command({ serverStatus: 1 })).ok).toBe(1);
      expect((await admin.command({ hostInfo: 1 })).ok).toBe(1);
      expect((await admin.command({ whatsmyuri: 1 })).you).toEqual(expect.stringMatching(/:\d+$/));
      expect((await admin.command({ connectionStatus: 1 })).authInfo).toBeDefined();
      expect((await admin.command({ getParameter: 1, featureCompatibilityVersion: 1 })).ok).toBe(1);
      expect((await admin.command({ endSessions: [] })).ok).toBe(1);
      const dbs = (await admin.command({ listDatabases: 1, nameOnly: true })) as { databases: { name: string }[] };
      expect(dbs.databases.map((d) => d.name)).toContain(dbName);
    });
  });

  describe('sessions and transactions', () => {
    it('commits atomically and hides uncommitted writes from other sessions', async () => {
      const c = db.collection('txn');
      await c.insertOne({ _id: 'acct', balance: 100 } as never);
      const session = client.startSession();
      try {
        session.startTransaction();
        await c.updateOne({ _id: 'acct' } as never, { $inc: { balance: -30 } }, { session });
        await c.insertOne({ _id: 'log1', amount: 30 } as never, { session });
        expect(await c.findOne({ _id: 'acct' } as never, { session })).toMatchObject({ balance: 70 });
        expect(await c.findOne({ _id: 'acct' } as never)).toMatchObject({ balance: 100 });
        expect(await c.findOne({ _id: 'log1' } as never)).toBeNull();
        await session.commitTransaction();
      } finally {
        await session.endSession();
      }
      expect(await c.findOne({ _id: 'acct' } as never)).toMatchObject({ balance: 70 });
      expect(await c.findOne({ _id: 'log1' } as never)).toMatchObject({ amount: 30 });
    });

    it('discards writes on abort', async () => {
      const c = db.collection('txnabort');
      await c.insertOne({ _id: 1, v: 1 } as never);
      const session = client.startSession();
      try {
        session.startTransaction();
        await c.updateOne({ _id: 1 } as never, { $set: { v: 2 } }, { session });
        await c.deleteOne({ _id: 1 } as never, { session });
        await c.insertOne({ _id: 2 } as never, { session });
        await session.abortTransaction();
      } finally {
        await session.endSession();
      }
      expect(await c.find({}).toArray()).toEqual([{ _id: 1, v: 1 }]);
    });

    it('reports a write-write conflict as 112 TransientTransactionError, and withTransaction retries it', async () => {
      const c = db.collection('conflict');
      await c.insertOne({ _id: 'doc', n: 0 } as never);
      const s1 = client.startSession();
      const s2 = client.startSession();
      try {
        s1.startTransaction();
        await c.updateOne({ _id: 'doc' } as never, { $inc: { n: 1 } }, { session: s1 });
        s2.startTransaction();
        const err = await c
          .updateOne({ _id: 'doc' } as never, { $inc: { n: 10 } }, { session: s2 })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MongoServerError);
        expect((err as MongoServerError).code).toBe(112);
        expect((err as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
        await s2.abortTransaction().catch(() => undefined);

        // s2 retries through withTransaction while s1 still holds the document; s1 commits shortly after.
        let attempts = 0;
        const retried = s2.withTransaction(async () => {
          attempts++;
          await c.updateOne({ _id: 'doc' } as never, { $inc: { n: 10 } }, { session: s2 });
        });
        setTimeout(() => void s1.commitTransaction(), 200);
        await retried;
        expect(attempts).toBeGreaterThan(1);
      } finally {
        await s1.endSession();
        await s2.endSession();
      }
      expect(await c.findOne({ _id: 'doc' } as never)).toEqual({ _id: 'doc', n: 11 });
    });

    it('makes a plain write to a document held by a transaction wait for the commit', async () => {
      const c = db.collection('blocked');
      await c.insertOne({ _id: 'x', log: [] } as never);
      const session = client.startSession();
      try {
        session.startTransaction();
        await c.updateOne({ _id: 'x' } as never, { $push: { log: 'txn' } } as never, { session });
        let plainDone = false;
        const plain = c
          .updateOne({ _id: 'x' } as never, { $push: { log: 'plain' } } as never)
          .then(() => (plainDone = true));
        await new Promise((r) => setTimeout(r, 100));
        expect(plainDone).toBe(false);
        await session.commitTransaction();
        await plain;
      } finally {
        await session.endSession();
      }
      expect(await c.findOne({ _id: 'x' } as never)).toEqual({ _id: 'x', log: ['txn', 'plain'] });
    });

    it('reads a stable snapshot, and conflicts when writing a document changed since', async () => {
      const c = db.collection('snapshot');
      await c.insertMany([
        { _id: 'a', v: 1 },
        { _id: 'b', v: 1 },
      ] as never[]);
      const session = client.startSession();
      try {
        session.startTransaction();
        expect(await c.findOne({ _id: 'a' } as never, { session })).toMatchObject({ v: 1 });
        await c.updateOne({ _id: 'a' } as never, { $set: { v: 2 } });
        await c.insertOne({ _id: 'c', v: 1 } as never);
        await c.deleteOne({ _id: 'b' } as never);
        // Outside changes after the snapshot stay invisible inside the transaction.
        expect(await c.find({}, { session }).sort({ _id: 1 }).toArray()).toEqual([
          { _id: 'a', v: 1 },
          { _id: 'b', v: 1 },
        ]);
        const err = await c.updateOne({ _id: 'a' } as never, { $inc: { v: 10 } }, { session }).catch((e: unknown) => e);
        expect((err as MongoServerError).code).toBe(112);
        await session.abortTransaction().catch(() => undefined);
      } finally {
        await session.endSession();
      }
      expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', v: 2 },
        { _id: 'c', v: 1 },
      ]);
    });

    it('keeps invariants under many concurrent conflicting transactions (withTransaction retries)', async () => {
      const c = db.collection('bank');
      await c.insertMany([0, 1, 2].map((i) => ({ _id: i, balance: 100 })) as never[]);
      let committed = 0;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          const session = client.startSession();
          try {
            for (let k = 0; k < 15; k++) {
              const from = (w + k) % 3;
              const to = (w + k + 1) % 3;
              await session.withTransaction(async () => {
                const src = await c.findOne({ _id: from } as never, { session });
                if (!src || src.balance < 1) return;
                await c.updateOne({ _id: from } as never, { $inc: { balance: -1 } }, { session });
                await c.updateOne({ _id: to } as never, { $inc: { balance: 1 } }, { session });
              });
              committed++;
            }
          } finally {
            await session.endSession();
          }
        }),
      );
      expect(committed).toBe(8 * 15);
      const balances = (await c.find({}).toArray()).map((d) => d.balance as number);
      expect(balances.reduce((a, b) => a + b, 0)).toBe(300);
      // 120 transactions with conflicts and the driver's retry backoff: 25-30 s of wall clock at load 25.
    }, 180_000);

    it('returns NoSuchTransaction (251) for operations in an aborted transaction', async () => {
      const c = db.collection('nosuch');
      await c.insertOne({ _id: 1 } as never);
      const session = client.startSession();
      try {
        session.startTransaction();
        await c.insertOne({ _id: 2 } as never, { session });
        // A duplicate key inside a transaction aborts it server-side.
        await expectServerError(c.insertOne({ _id: 1 } as never, { session }), 11000);
        const err = await c.insertOne({ _id: 3 } as never, { session }).catch((e: unknown) => e);
        expect((err as MongoServerError).code).toBe(251);
        await session.abortTransaction().catch(() => undefined);
      } finally {
        await session.endSession();
      }
      expect(await c.countDocuments()).toBe(1);
    });
  });

  describe('Mongoose', () => {
    let conn: mongoose.Connection;
    const userSchema = new mongoose.Schema({
      email: { type: String, required: true, unique: true },
      name: String,
      visits: { type: Number, default: 0 },
    });

    beforeAll(async () => {
      conn = await mongoose
        .createConnection(target.uri(), { dbName: `${dbName}_mg`, serverSelectionTimeoutMS: 5000 })
        .asPromise();
    });

    afterAll(async () => {
      await conn?.dropDatabase().catch(() => undefined);
      await conn?.close();
    });

    it('creates unique indexes, saves, finds by id, updates, and surfaces duplicates as 11000', async () => {
      const User = conn.model('User', userSchema);
      await User.init();
      const indexes = (await User.listIndexes()) as { name: string; unique?: boolean }[];
      expect(indexes.find((i) => i.name === 'email_1')?.unique).toBe(true);
      // Index specs read back must look like the schema's, or Mongoose would rebuild them on every boot.
      expect(await User.syncIndexes()).toEqual([]);
      expect(await User.diffIndexes()).toEqual({ toDrop: [], toCreate: [] });

      const ann = await User.create({ email: 'ann@x', name: 'Ann' });
      const found = await User.findById(ann._id).lean();
      expect(found).toMatchObject({ email: 'ann@x', name: 'Ann', visits: 0 });
      const updated = await User.findOneAndUpdate(
        { email: 'ann@x' },
        { $inc: { visits: 1 } },
        { returnDocument: 'after' },
      ).lean();
      expect(updated?.visits).toBe(1);
      ann.name = 'Annie';
      await ann.save();
      expect((await User.findById(ann._id).lean())?.name).toBe('Annie');
      const dup = await User.create({ email: 'ann@x' }).catch((e: unknown) => e);
      expect((dup as { code?: number }).code).toBe(11000);
      expect(await User.countDocuments()).toBe(1);
      await User.deleteOne({ _id: ann._id });
      expect(await User.exists({ _id: ann._id })).toBeNull();
    });

    it('runs connection.transaction() and session.withTransaction()', async () => {
      const Account = conn.model('Account', new mongoose.Schema({ owner: String, balance: Number }));
      await Account.createCollection();
      const [a, b] = await Account.create([
        { owner: 'a', balance: 100 },
        { owner: 'b', balance: 0 },
      ]);
      await conn.transaction(async (session) => {
        await Account.updateOne({ _id: a._id }, { $inc: { balance: -40 } }, { session });
        await Account.updateOne({ _id: b._id }, { $inc: { balance: 40 } }, { session });
      });
      expect((await Account.findById(b._id).lean())?.balance).toBe(40);

      await expect(
        conn.transaction(async (session) => {
          await Account.updateOne({ _id: a._id }, { $inc: { balance: -1000 } }, { session });
          throw new Error('insufficient funds');
        }),
      ).rejects.toThrow('insufficient funds');
      expect((await Account.findById(a._id).lean())?.balance).toBe(60);

      const session = await conn.startSession();
      try {
        await session.withTransaction(async () => {
          await Account.create([{ owner: 'c', balance: 1 }], { session });
        });
      } finally {
        await session.endSession();
      }
      expect(await Account.countDocuments({ owner: 'c' })).toBe(1);
    });
  });
}
