import {
  Binary,
  MongoClient,
  ObjectId,
  Timestamp,
  MongoServerError,
  type ClientSession,
  type CollationOptions,
  type Collection,
  type Db,
  type Document,
} from 'mongodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectSuiteDb } from './testing/suite-db.js';

/**
 * MongoDB behaviours the driver specifications' unified tests exercise (collation, let, $out/$merge, snapshot
 * sessions, DDL in transactions, field names, views, validators, write concerns, $listLocalSessions), driven
 * only through the official driver. Like driver-suite.ts it also runs against MONGODB_TEST_URI (a 7.0 replica
 * set), so each expectation is the server's, error codes and code names included.
 */

export async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(MongoServerError);
    return err as MongoServerError;
  }
  throw new Error('expected a MongoServerError, but the operation succeeded');
}

async function indexes<T extends Document>(c: Collection<T>): Promise<{ name: string; collation?: object }[]> {
  return (await c.listIndexes().toArray()) as { name: string; collation?: object }[];
}

export function defineConformanceSuite(uri: () => string): void {
  let client: MongoClient;
  let db: Db;
  const dbName = connectSuiteDb(uri, 'emconf', (c, d) => {
    client = c;
    db = d;
  });
  /** Runs `body` with a fresh session, then aborts what it left open and ends the session. */
  const withSession = async (body: (session: ClientSession) => Promise<void>): Promise<void> => {
    const session = client.startSession();
    try {
      await body(session);
    } finally {
      if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
      await session.endSession();
    }
  };

  describe('collation', () => {
    const words = [
      { _id: 1, w: 'apple' },
      { _id: 2, w: 'Apple' },
      { _id: 3, w: 'äpple' },
      { _id: 4, w: 'banana' },
      { _id: 5, w: 'item10' },
      { _id: 6, w: 'item9' },
    ];

    it('matches strings by strength: 1 ignores case and accents, 2 case only, 3 neither', async () => {
      const c = db.collection<{ _id: number; w: string }>('coll_strength');
      await c.insertMany(words);
      const ids = async (strength: number, caseLevel = false): Promise<number[]> =>
        (
          await c
            .find({ w: 'apple' }, { collation: { locale: 'en', strength, caseLevel } })
            .sort({ _id: 1 })
            .toArray()
        ).map((d) => d._id);
      expect(await ids(1)).toEqual([1, 2, 3]);
      expect(await ids(2)).toEqual([1, 2]);
      expect(await ids(3)).toEqual([1]);
      // caseLevel at strength 1: case matters again, accents still do not.
      expect(await ids(1, true)).toEqual([1, 3]);
      // Without a collation the comparison is binary.
      expect((await c.find({ w: 'apple' }).toArray()).map((d) => d._id)).toEqual([1]);
      // $in and ranges are collation-aware too; regular expressions never are.
      expect(await c.countDocuments({ w: { $in: ['APPLE'] } }, { collation: { locale: 'en', strength: 2 } })).toBe(2);
      expect(await c.countDocuments({ w: { $gte: 'B', $lt: 'C' } }, { collation: { locale: 'en', strength: 1 } })).toBe(
        1,
      );
      expect(await c.countDocuments({ w: /^APPLE$/ }, { collation: { locale: 'en', strength: 1 } })).toBe(0);
    });

    it('sorts by locale rules and numericOrdering, and counts distinct values as the collation does', async () => {
      const c = db.collection<{ _id: number; w: string }>('coll_sort');
      await c.insertMany(words);
      const sorted = async (collation?: CollationOptions): Promise<string[]> =>
        (
          await c
            .find({}, collation ? { collation } : {})
            .sort({ w: 1, _id: 1 })
            .toArray()
        ).map((d) => d.w);
      // Binary: upper case before lower case, accented letters after z.
      expect(await sorted()).toEqual(['Apple', 'apple', 'banana', 'item10', 'item9', 'äpple']);
      expect(await sorted({ locale: 'en' })).toEqual(['apple', 'Apple', 'äpple', 'banana', 'item10', 'item9']);
      expect(await sorted({ locale: 'en', numericOrdering: true })).toEqual([
        'apple',
        'Apple',
        'äpple',
        'banana',
        'item9',
        'item10',
      ]);
      expect(await sorted({ locale: 'en', caseFirst: 'upper' })).toEqual([
        'Apple',
        'apple',
        'äpple',
        'banana',
        'item10',
        'item9',
      ]);
      const distinct = await c.distinct('w', { w: { $lt: 'b' } }, { collation: { locale: 'en', strength: 1 } });
      expect(distinct).toHaveLength(1);
      expect((await c.distinct('w', { w: { $lt: 'b' } }, { collation: { locale: 'en', strength: 2 } })).length).toBe(2);
    });

    it('applies to aggregate $match and $sort, and to updates, deletes and findOneAndUpdate', async () => {
      const c = db.collection<{ _id: number; w: string; hit?: boolean }>('coll_writes');
      await c.insertMany(words);
      const collation = { locale: 'en', strength: 2 };
      const rows = await c.aggregate([{ $match: { w: 'APPLE' } }, { $sort: { _id: -1 } }], { collation }).toArray();
      expect(rows.map((d) => d._id as number)).toEqual([2, 1]);
      expect((await c.updateMany({ w: 'APPLE' }, { $set: { hit: true } }, { collation })).modifiedCount).toBe(2);
      const found = await c.findOneAndUpdate(
        { w: 'BANANA' },
        { $set: { hit: true } },
        { collation, returnDocument: 'after' },
      );
      expect(found?._id).toBe(4);
      expect((await c.deleteMany({ w: 'ITEM9' }, { collation })).deletedCount).toBe(1);
      expect(await c.countDocuments({ hit: true })).toBe(3);
    });

    it('uses a collection default collation, which indexes inherit and listIndexes reports in full', async () => {
      await db.createCollection('coll_default', { collation: { locale: 'fr', strength: 1 } });
      const c = db.collection<{ _id: number; w: string }>('coll_default');
      await c.insertMany(words);
      expect(await c.countDocuments({ w: 'APPLE' })).toBe(3);
      // An explicit simple collation overrides the default.
      expect(await c.countDocuments({ w: 'APPLE' }, { collation: { locale: 'simple' } })).toBe(0);
      await c.createIndex({ w: 1 });
      const index = (await indexes(c)).find((i) => i.name === 'w_1');
      expect(index?.collation).toMatchObject({ locale: 'fr', strength: 1, caseLevel: false, numericOrdering: false });
      const [info] = await db.listCollections({ name: 'coll_default' }, { nameOnly: false }).toArray();
      expect(info.options?.collation).toMatchObject({ locale: 'fr', strength: 1 });
    });

    it('enforces a unique index under its collation, and uses an index only for queries of the same collation', async () => {
      const c = db.collection('coll_unique');
      await c.createIndex({ email: 1 }, { unique: true, collation: { locale: 'en', strength: 2 }, name: 'email_ci' });
      await c.insertOne({ email: 'Ann@Example.org' });
      const dup = await serverError(c.insertOne({ email: 'ann@example.org' }));
      expect(dup.code).toBe(11000);
      expect(dup.codeName).toBe('DuplicateKey');
      const winning = async (collation?: CollationOptions): Promise<string> => {
        const plan = (await c.find({ email: 'ANN@example.org' }, collation ? { collation } : {}).explain()) as {
          queryPlanner: { winningPlan: { stage: string; inputStage?: { stage: string; indexName?: string } } };
        };
        const w = plan.queryPlanner.winningPlan;
        return w.inputStage?.indexName ?? w.stage;
      };
      expect(await winning({ locale: 'en', strength: 2 })).toBe('email_ci');
      expect(await winning()).toBe('COLLSCAN');
      expect(await c.countDocuments({ email: 'ANN@example.org' }, { collation: { locale: 'en', strength: 2 } })).toBe(
        1,
      );
      expect(await c.countDocuments({ email: 'ANN@example.org' })).toBe(0);
    });

    it('refuses a collation without a locale or with an unknown field', async () => {
      const c = db.collection('coll_bad');
      await c.insertOne({ w: 'x' });
      const missing = await serverError(c.find({}, { collation: { strength: 2 } as never }).toArray());
      expect(missing.code).toBe(40414);
      const unknown = await serverError(c.find({}, { collation: { locale: 'en', colour: 'blue' } as never }).toArray());
      expect(unknown.code).toBe(40415);
    });
  });

  describe('let variables', () => {
    beforeAll(async () => {
      // {_id: 1, x: 'a', n: 1} … {_id: 3, x: 'c', n: 3}
      await db.collection('let').insertMany(['a', 'b', 'c'].map((x, i) => ({ _id: i + 1, x, n: i + 1 })) as never[]);
    });

    it('binds $$variables in find, aggregate and count filters', async () => {
      const c = db.collection('let');
      const found = await c.find({ $expr: { $eq: ['$x', '$$wanted'] } }, { let: { wanted: 'b' } }).toArray();
      expect(found.map((d) => d._id)).toEqual([2]);
      const rows = await c
        .aggregate([{ $match: { $expr: { $gt: ['$n', '$$min'] } } }, { $project: { _id: 1, tag: '$$tag' } }], {
          let: { min: 1, tag: { $concat: ['t', '-', 'x'] } },
        })
        .toArray();
      expect(rows).toEqual([
        { _id: 2, tag: 't-x' },
        { _id: 3, tag: 't-x' },
      ]);
    });

    it('binds $$variables in update filters and pipeline updates, deletes and findOneAndUpdate', async () => {
      const c = db.collection('let');
      const upd = await c.updateOne({ $expr: { $eq: ['$_id', '$$id'] } }, [{ $set: { x: '$$value' } }], {
        let: { id: 1, value: 'set-by-let' },
      });
      expect(upd.modifiedCount).toBe(1);
      expect(await c.findOne({ _id: 1 } as never)).toMatchObject({ x: 'set-by-let' });
      const fam = await c.findOneAndUpdate(
        { $expr: { $eq: ['$_id', '$$id'] } },
        [{ $set: { n: { $add: ['$n', '$$by'] } } }],
        { let: { id: 2, by: 10 }, returnDocument: 'after' },
      );
      expect(fam).toMatchObject({ _id: 2, n: 12 });
      const del = await c.deleteOne({ $expr: { $eq: ['$x', '$$gone'] } }, { let: { gone: 'c' } });
      expect(del.deletedCount).toBe(1);
      const bulk = await c.bulkWrite(
        [{ updateOne: { filter: { $expr: { $eq: ['$_id', '$$id'] } }, update: { $set: { bulk: true } } } }],
        { let: { id: 2 } },
      );
      expect(bulk.modifiedCount).toBe(1);
    });

    it('refuses a variable name that does not start with a lower-case letter', async () => {
      const err = await serverError(
        db
          .collection('let')
          .find({}, { let: { Bad: 1 } })
          .toArray(),
      );
      expect(err.code).toBe(16870);
      expect(err.codeName).toBe('Location16870');
    });

    it('answers an undefined variable with 17276 and an unknown operator with its own code', async () => {
      const c = db.collection('let');
      const before = await c.find({}).sort({ _id: 1 }).toArray();
      const undefinedVar = [
        await serverError(c.find({ $expr: { $eq: ['$x', '$$nope'] } }).toArray()),
        await serverError(c.aggregate([{ $project: { v: '$$nope' } }]).toArray()),
        await serverError(c.updateOne({ $expr: { $eq: ['$_id', '$$id'] } }, [{ $set: { y: 1 } }])),
        await serverError(c.deleteMany({ $expr: { $eq: ['$_id', '$$id'] } })),
      ];
      for (const err of undefinedVar) expect([err.code, err.codeName]).toEqual([17276, 'Location17276']);
      const expression = await serverError(c.aggregate([{ $project: { v: { $nope: 1 } } }]).toArray());
      expect([expression.code, expression.codeName]).toEqual([168, 'InvalidPipelineOperator']);
      const inFilter = await serverError(c.find({ $expr: { $nope: ['$x', 1] } }).toArray());
      expect(inFilter.code).toBe(168);
      const group = await serverError(c.aggregate([{ $group: { _id: null, v: { $nope: '$n' } } }]).toArray());
      expect([group.code, group.codeName]).toEqual([15952, 'Location15952']);
      expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual(before);
    });
  });

  describe('field names', () => {
    it('stores a replacement with a top-level dotted field, and refuses an _id with $-prefixed fields', async () => {
      const c = db.collection('names');
      await c.insertOne({ _id: 1 } as never);
      const res = await c.replaceOne({ _id: 1 } as never, { 'a.b': 1 });
      expect(res.modifiedCount).toBe(1);
      expect(await c.findOne({ _id: 1 } as never)).toEqual({ _id: 1, 'a.b': 1 });
      // Nested $-prefixed names are valid for storage since 5.0, except inside _id.
      await c.insertOne({ _id: 2, a: { $b: 1 } } as never);
      const bad = await serverError(c.insertOne({ _id: { $a: 1 } } as never));
      expect(bad.code).toBe(53);
      expect(bad.codeName).toBe('InvalidIdField');
    });
  });

  describe('update options of MongoDB 7.0', () => {
    it('refuses sort on updateOne and replaceOne (an 8.0 option) as an unknown field', async () => {
      const c = db.collection('upd_sort');
      await c.insertMany([{ n: 1 }, { n: 2 }]);
      const err = await serverError(c.updateOne({}, { $set: { hit: true } }, { sort: { n: -1 } } as never));
      expect(err.code).toBe(40415);
      expect(err.codeName).toBe('Location40415');
      const rep = await serverError(c.replaceOne({}, { n: 3 }, { sort: { n: -1 } } as never));
      expect(rep.code).toBe(40415);
      expect(await c.countDocuments({ hit: true })).toBe(0);
    });
  });

  describe('transactions: DDL and commands outside the transaction subset', () => {
    it('keeps a collection and an index created in a transaction invisible to others until commit', async () => {
      const other = new MongoClient(uri(), { serverSelectionTimeoutMS: 5000 });
      await other.connect();
      const session = client.startSession();
      try {
        session.startTransaction();
        await db.createCollection('txn_created', { session });
        await db.collection('txn_created').createIndex({ k: 1 }, { session, name: 'k_1' });
        await db.collection('txn_created').insertOne({ k: 1 }, { session });
        await db.collection('txn_implicit').insertOne({ k: 2 }, { session });
        const names = async (): Promise<string[]> =>
          (await other.db(dbName).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
        expect(await names()).not.toContain('txn_created');
        expect(await names()).not.toContain('txn_implicit');
        expect(await db.collection('txn_created').countDocuments({}, { session })).toBe(1);
        await session.commitTransaction();
        expect(await names()).toEqual(expect.arrayContaining(['txn_created', 'txn_implicit']));
        const created = await indexes(other.db(dbName).collection('txn_created'));
        expect(created.map((i) => i.name)).toEqual(['_id_', 'k_1']);
        expect(await other.db(dbName).collection('txn_implicit').countDocuments()).toBe(1);
      } finally {
        await session.endSession();
        await other.close();
      }
    });

    it('drops what an aborted transaction created, and refuses new indexes on an existing collection', async () => {
      await db.collection('txn_existing').insertOne({ a: 1 });
      await withSession(async (session) => {
        session.startTransaction();
        await db.createCollection('txn_aborted', { session });
        await session.abortTransaction();
        const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
        expect(names).not.toContain('txn_aborted');
        session.startTransaction();
        const err = await serverError(db.collection('txn_existing').createIndex({ a: 1 }, { session }));
        expect(err.code).toBe(263);
      });
    });

    it('refuses count inside a transaction with OperationNotSupportedInTransaction', async () => {
      await db.collection('txn_count').insertOne({ a: 1 });
      await withSession(async (session) => {
        session.startTransaction();
        await db.collection('txn_count').findOne({}, { session });
        const err = await serverError(db.command({ count: 'txn_count' }, { session }));
        expect(err.code).toBe(263);
        expect(err.codeName).toBe('OperationNotSupportedInTransaction');
      });
    });
  });

  describe('snapshot sessions', () => {
    it('read every find, aggregate and distinct at the cluster time of the first read', async () => {
      const c = db.collection('snap');
      await c.insertMany([
        { _id: 1, x: 11 },
        { _id: 2, x: 11 },
      ] as never[]);
      const session = client.startSession({ snapshot: true });
      try {
        expect(await c.findOne({ _id: 1 } as never, { session })).toEqual({ _id: 1, x: 11 });
        await c.updateOne({ _id: 1 } as never, { $inc: { x: 1 } });
        await c.insertOne({ _id: 3, x: 33 } as never);
        await c.deleteOne({ _id: 2 } as never);
        expect(await c.find({}, { session }).sort({ _id: 1 }).toArray()).toEqual([
          { _id: 1, x: 11 },
          { _id: 2, x: 11 },
        ]);
        expect(await c.aggregate([{ $match: { _id: 1 } }], { session }).toArray()).toEqual([{ _id: 1, x: 11 }]);
        expect(await c.distinct('x', {}, { session })).toEqual([11]);
        expect(await c.countDocuments({}, { session })).toBe(2);
      } finally {
        await session.endSession();
      }
      // A new snapshot session starts at the current data.
      const fresh = client.startSession({ snapshot: true });
      try {
        expect((await c.find({}, { session: fresh }).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 3]);
      } finally {
        await fresh.endSession();
      }
    });

    it('refuse writes and list commands (readConcern snapshot only suits find, aggregate and distinct)', async () => {
      const c = db.collection('snap_ops');
      await c.insertOne({ _id: 1 } as never);
      const session = client.startSession({ snapshot: true });
      try {
        for (const op of [
          () => c.insertOne({ _id: 2 } as never, { session }),
          () => c.updateOne({ _id: 1 } as never, { $set: { a: 1 } }, { session }),
          () => c.deleteOne({}, { session }),
          () => c.findOneAndUpdate({ _id: 1 } as never, { $set: { a: 1 } }, { session }),
          () => db.listCollections({}, { session }).toArray(),
          () => c.listIndexes({ session }).toArray(),
        ]) {
          const err = await serverError(op());
          expect(err.code).toBe(72);
          expect(err.codeName).toBe('InvalidOptions');
        }
      } finally {
        await session.endSession();
      }
      expect(await c.countDocuments()).toBe(1);
    });
  });

  describe('aggregate $out and $merge', () => {
    beforeAll(async () => {
      // {_id: 1, g: 'a', v: 1}, {_id: 2, g: 'b', v: 2}, {_id: 3, g: 'a', v: 3}
      await db
        .collection('agg_src')
        .insertMany(['a', 'b', 'a'].map((g, i) => ({ _id: i + 1, g, v: i + 1 })) as never[]);
    });

    it('$out replaces the target with the results, keeps its indexes, and is all or nothing', async () => {
      const target = db.collection('agg_out');
      await target.insertOne({ _id: 'old' } as never);
      await target.createIndex({ total: 1 }, { name: 'total_1' });
      const cursor = await db
        .collection('agg_src')
        .aggregate([{ $group: { _id: '$g', total: { $sum: '$v' } } }, { $sort: { _id: 1 } }, { $out: 'agg_out' }])
        .toArray();
      expect(cursor).toEqual([]);
      expect(await target.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 'a', total: 4 },
        { _id: 'b', total: 2 },
      ]);
      expect((await indexes(target)).map((i) => i.name)).toEqual(['_id_', 'total_1']);
      // Duplicate _ids in the results: the target stays as it was.
      const dup = await serverError(
        db
          .collection('agg_src')
          .aggregate([{ $project: { _id: '$g' } }, { $out: 'agg_out' }])
          .toArray(),
      );
      expect(dup.code).toBe(11000);
      expect(await target.countDocuments()).toBe(2);
      const misplaced = await serverError(
        db
          .collection('agg_src')
          .aggregate([{ $out: 'agg_out' }, { $match: {} }])
          .toArray(),
      );
      expect(misplaced.code).toBe(40601);
    });

    it('$merge inserts, merges, replaces, keeps or fails per whenMatched / whenNotMatched', async () => {
      const target = db.collection('agg_merge');
      await target.insertMany([
        { _id: 1, keep: true, v: 0 },
        { _id: 9, other: true },
      ] as never[]);
      await db
        .collection('agg_src')
        .aggregate([{ $match: { _id: { $lte: 2 } } }, { $merge: { into: 'agg_merge' } }])
        .toArray();
      expect(await target.find({}).sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, keep: true, v: 1, g: 'a' },
        { _id: 2, g: 'b', v: 2 },
        { _id: 9, other: true },
      ]);
      await db
        .collection('agg_src')
        .aggregate([{ $match: { _id: 1 } }, { $merge: { into: 'agg_merge', whenMatched: 'replace' } }])
        .toArray();
      expect(await target.findOne({ _id: 1 } as never)).toEqual({ _id: 1, g: 'a', v: 1 });
      await db
        .collection('agg_src')
        .aggregate([
          { $match: { _id: 3 } },
          { $merge: { into: 'agg_merge', whenMatched: 'keepExisting', whenNotMatched: 'discard' } },
        ])
        .toArray();
      expect(await target.countDocuments({ _id: 3 } as never)).toBe(0);
      await db
        .collection('agg_src')
        .aggregate([
          { $match: { _id: 2 } },
          { $merge: { into: 'agg_merge', whenMatched: [{ $set: { v: { $add: ['$v', '$$new.v'] } } }] } },
        ])
        .toArray();
      expect(await target.findOne({ _id: 2 } as never)).toMatchObject({ v: 4 });
      // The aggregate's own let reaches $merge's pipeline too.
      await db
        .collection('agg_src')
        .aggregate(
          [{ $match: { _id: 2 } }, { $merge: { into: 'agg_merge', whenMatched: [{ $set: { tag: '$$tag' } }] } }],
          { let: { tag: 'from-let' } },
        )
        .toArray();
      expect(await target.findOne({ _id: 2 } as never)).toMatchObject({ v: 4, tag: 'from-let' });
      const fail = await serverError(
        db
          .collection('agg_src')
          .aggregate([{ $match: { _id: 3 } }, { $merge: { into: 'agg_merge', whenNotMatched: 'fail' } }])
          .toArray(),
      );
      expect(fail.code).toBe(13113);
      const noIndex = await serverError(
        db
          .collection('agg_src')
          .aggregate([{ $merge: { into: 'agg_merge', on: 'g' } }])
          .toArray(),
      );
      expect(noIndex.code).toBe(51183);
    });

    it('refuses an output stage inside a transaction', async () => {
      const session = client.startSession();
      try {
        session.startTransaction();
        const err = await serverError(
          db
            .collection('agg_src')
            .aggregate([{ $out: 'agg_txn' }], { session })
            .toArray(),
        );
        expect(err.code).toBe(263);
        await session.abortTransaction().catch(() => undefined);
      } finally {
        await session.endSession();
      }
    });

    it('answers an unknown stage with 40324', async () => {
      const err = await serverError(
        db
          .collection('agg_src')
          .aggregate([{ $noSuchStage: {} }])
          .toArray(),
      );
      expect(err.code).toBe(40324);
    });
  });

  describe('views', () => {
    it('reads through the view pipeline, lists views as views, and refuses writes to them', async () => {
      await db.collection('view_src').insertMany([
        { _id: 1, kind: 'a', n: 1 },
        { _id: 2, kind: 'b', n: 2 },
        { _id: 3, kind: 'a', n: 3 },
      ] as never[]);
      await db.createCollection('view_a', {
        viewOn: 'view_src',
        pipeline: [{ $match: { kind: 'a' } }, { $project: { kind: 0 } }],
      });
      const v = db.collection('view_a');
      expect(await v.find({ n: { $gt: 1 } }).toArray()).toEqual([{ _id: 3, n: 3 }]);
      expect(await v.find({}).sort({ n: -1 }).limit(1).toArray()).toEqual([{ _id: 3, n: 3 }]);
      expect(await v.countDocuments()).toBe(2);
      expect(await v.aggregate([{ $group: { _id: null, s: { $sum: '$n' } } }]).toArray()).toEqual([
        { _id: null, s: 4 },
      ]);
      expect(await v.distinct('n')).toEqual([1, 3]);
      const [info] = await db.listCollections({ name: 'view_a' }).toArray();
      expect(info).toMatchObject({ type: 'view', options: { viewOn: 'view_src' } });
      const err = await serverError(v.insertOne({ n: 4 }));
      expect(err.code).toBe(166);
      expect(err.codeName).toBe('CommandNotSupportedOnView');
      expect((await serverError(v.listIndexes().toArray())).code).toBe(166);
      expect((await serverError(v.createIndex({ n: 1 }))).code).toBe(166);
    });
  });

  describe('validators', () => {
    it('refuses documents that break the validator with 121, unless validation is bypassed', async () => {
      await db.createCollection('validated', {
        validator: {
          $jsonSchema: { bsonType: 'object', required: ['name'], properties: { age: { bsonType: 'int', minimum: 0 } } },
        },
      });
      const c = db.collection('validated');
      await c.insertOne({ name: 'ann', age: 30 });
      const missing = await serverError(c.insertOne({ age: 3 }));
      expect(missing.code).toBe(121);
      expect(missing.codeName).toBe('DocumentValidationFailure');
      const update = await serverError(c.updateOne({ name: 'ann' }, { $set: { age: -1 } }));
      expect(update.code).toBe(121);
      await c.insertOne({ age: 5 }, { bypassDocumentValidation: true });
      await db.createCollection('validated_query', { validator: { qty: { $gte: 0 } } });
      const q = await serverError(db.collection('validated_query').insertOne({ qty: -5 }));
      expect(q.code).toBe(121);
      expect(await c.countDocuments()).toBe(2);
    });
  });

  describe('write concern on a one-member replica set', () => {
    it('applies the write and reports an unsatisfiable w as a writeConcernError (100)', async () => {
      const c = db.collection('wc');
      const err = await serverError(c.insertOne({ a: 1 }, { writeConcern: { w: 10 } }));
      expect(err.code).toBe(100);
      expect(err.codeName).toBe('UnsatisfiableWriteConcern');
      expect(await c.countDocuments({ a: 1 })).toBe(1);
      const session = client.startSession();
      try {
        session.startTransaction({ writeConcern: { w: 10 } });
        await c.insertOne({ a: 2 }, { session });
        const commit = await serverError(session.commitTransaction());
        expect(commit.code).toBe(100);
      } finally {
        await session.endSession();
      }
      expect(await c.countDocuments({ a: 2 })).toBe(1);
    });
  });

  describe('$listLocalSessions', () => {
    it('lists the sessions this server has seen, including the one running the command', async () => {
      const session = client.startSession();
      try {
        await db.collection('lls').findOne({}, { session });
        const rows = await client
          .db('admin')
          .aggregate(
            [
              { $listLocalSessions: {} },
              { $match: { '_id.id': session.id?.id } },
              { $project: { _id: 0, found: { $literal: true } } },
            ],
            { session },
          )
          .toArray();
        expect(rows).toEqual([{ found: true }]);
        const any = await client
          .db('admin')
          .aggregate([
            { $listLocalSessions: {} },
            { $limit: 1 },
            { $addFields: { dummy: 'd' } },
            { $project: { _id: 0, dummy: 1 } },
          ])
          .toArray();
        expect(any).toEqual([{ dummy: 'd' }]);
      } finally {
        await session.endSession();
      }
    });
  });

  describe('options the engine does not act on are still checked as mongod checks them', () => {
    it('refuses an unknown readConcern level, and linearizable with $out', async () => {
      const c = db.collection('rc');
      await c.insertOne({ a: 1 });
      const bad = await serverError(c.find({}, { readConcern: { level: '!invalid' as never } }).toArray());
      expect(bad.code).toBe(9);
      const lin = await serverError(
        c.aggregate([{ $out: 'rc_out' }], { readConcern: { level: 'linearizable' } }).toArray(),
      );
      expect(lin.code).toBe(72);
      expect(await c.find({}, { readConcern: { level: 'majority' } }).toArray()).toHaveLength(1);
    });

    it('refuses a hint that names no index, and accepts one that does', async () => {
      const c = db.collection('hints');
      await c.createIndex({ a: 1 });
      await c.insertOne({ a: 1 });
      expect(await c.find({ a: 1 }, { hint: 'a_1' }).toArray()).toHaveLength(1);
      expect(await c.find({ a: 1 }, { hint: { a: 1 } }).toArray()).toHaveLength(1);
      const err = await serverError(c.find({ a: 1 }, { hint: 'nope_1' }).toArray());
      expect(err.code).toBe(2);
      const upd = await serverError(c.updateOne({ a: 1 }, { $set: { b: 1 } }, { hint: { b: 1 } }));
      expect(upd.code).toBe(2);
    });
  });

  describe('arrayFilters are checked as mongod parses them, whether or not a document matches', () => {
    it('updates through $[identifier] and refuses unused, missing, duplicate or malformed filters', async () => {
      const c = db.collection<{ _id: number; y: { b: number }[] }>('array_filters');
      await c.insertMany([
        { _id: 1, y: [{ b: 3 }, { b: 1 }] },
        { _id: 2, y: [{ b: 0 }, { b: 1 }] },
      ]);
      const r = await c.updateMany({}, { $set: { 'y.$[i].b': 2 } }, { arrayFilters: [{ 'i.b': 1 }] });
      expect([r.matchedCount, r.modifiedCount]).toEqual([2, 2]);
      expect((await c.findOne({ _id: 1 }))?.y).toEqual([{ b: 3 }, { b: 2 }]);
      const refused = async (update: Document, arrayFilters?: Document[], filter: Document = { _id: 99 }) =>
        (await serverError(c.updateOne(filter, update, arrayFilters ? { arrayFilters } : {}))).code;
      // Each answer as mongod 7.0 gives it; none of these statements matches a document.
      expect(await refused({ $set: { w: 1 } }, [{ i: 1 }])).toBe(9);
      expect(await refused({ $set: { 'y.$[j].b': 1 } }, [{ i: 1 }])).toBe(2);
      expect(await refused({ $set: { 'y.$[j].b': 1 } })).toBe(2);
      expect(await refused({ $set: { 'y.$[i].b': 1 } }, [{ i: 1 }, { i: 2 }])).toBe(9);
      expect(await refused({ $set: { 'y.$[i].b': 1 } }, [{ i: 1, j: 2 }])).toBe(9);
      expect(await refused({ $set: { 'y.$[I].b': 1 } }, [{ I: 1 }])).toBe(2);
      expect(await refused({ $set: { 'y.$[i].b': 1 } }, [{}])).toBe(9);
      const fam = await serverError(c.findOneAndUpdate({ _id: 1 }, { $set: { w: 1 } }, { arrayFilters: [{ i: 1 }] }));
      expect(fam.code).toBe(9);
      expect(await c.countDocuments({ w: { $exists: true } })).toBe(0);
    });
  });

  describe('update paths and update pipelines are checked as mongod checks them', () => {
    it('refuses empty paths, paths through a scalar and stages an update pipeline may not hold', async () => {
      const c = db.collection<{ _id: number; label?: unknown; box?: unknown }>('update_paths');
      await c.insertOne({ _id: 1, label: 'k', box: { n: 1 } });
      const code = async (p: Promise<unknown>) => (await serverError(p)).code;
      expect(await code(c.updateOne({ _id: 99 }, { $set: { 'box..n': 1 } }))).toBe(56);
      expect(await code(c.updateOne({ _id: 99 }, { $rename: { box: 'box' } }))).toBe(2);
      expect(await code(c.updateOne({ _id: 1 }, { $set: { 'label.sub': 1 } }))).toBe(28);
      expect(await code(c.updateOne({ _id: 1 }, [{ $match: { _id: 1 } }]))).toBe(72);
      expect(await code(c.findOneAndUpdate({ _id: 1 }, [{ $sort: { _id: 1 } }]))).toBe(72);
      const merge = c.aggregate([{ $merge: { into: 'update_paths', whenMatched: [{ $group: { _id: null } }] } }]);
      expect(await code(merge.toArray())).toBe(72);
      expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, label: 'k', box: { n: 1 } });
    });
  });

  describe('pipelines are parsed before a document is read', () => {
    it('answers a malformed stage with its code, on a collection or on none', async () => {
      const code = async (name: string, pipeline: Document[]) =>
        (await serverError(db.collection(name).aggregate(pipeline).toArray())).code;
      await db.collection('parsed_pipeline').insertOne({ _id: 1, tags: ['t'] } as never);
      expect(await code('parsed_pipeline', [{ $match: { _id: 1 }, $limit: 1 }])).toBe(40323);
      expect(await code('parsed_pipeline', [{ $match: { _id: 1 } }, { $unwind: 'tags' }])).toBe(28818);
      expect(await code('no_such_collection', [{ $limit: 0 }])).toBe(15958);
      expect(await code('no_such_collection', [{ $group: { n: { $sum: 1 } } }])).toBe(15955);
      expect(await code('no_such_collection', [{ $sort: { n: 2 } }])).toBe(15975);
      const find = await serverError(db.command({ find: 'parsed_pipeline', sort: { _id: 5 } }));
      expect(find.code).toBe(15975);
    });
  });

  describe('command fields are checked as mongod checks them', () => {
    it('refuses a negative skip, limit or batchSize (51024) and findAndModify options that contradict remove (9)', async () => {
      await db.collection('field_checks').insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }] as never[]);
      const code = async (command: Document) => (await serverError(db.command(command))).code;
      expect(await code({ find: 'field_checks', skip: -1 })).toBe(51024);
      expect(await code({ find: 'field_checks', limit: -2 })).toBe(51024);
      expect(await code({ find: 'field_checks', batchSize: -1 })).toBe(51024);
      expect(await code({ aggregate: 'field_checks', pipeline: [], cursor: { batchSize: -1 } })).toBe(51024);
      expect(await code({ count: 'field_checks', skip: -1 })).toBe(51024);
      const open = await db.command({ find: 'field_checks', batchSize: 1 });
      const cursorId = (open.cursor as { id: unknown }).id;
      expect(await code({ getMore: cursorId, collection: 'field_checks', batchSize: -1 })).toBe(51024);
      await db.command({ killCursors: 'field_checks', cursors: [cursorId] });
      for (const extra of [{ new: true }, { upsert: true }, { arrayFilters: [{ i: 1 }] }])
        expect(await code({ findAndModify: 'field_checks', query: { _id: 1 }, remove: true, ...extra })).toBe(9);
      expect(await db.collection('field_checks').countDocuments()).toBe(3);
      expect((await db.collection('field_checks').find({}, { limit: -2 }).toArray()).length).toBe(2);
    });
  });

  describe('$jsonSchema in queries', () => {
    it('selects documents by a schema in find, $match and countDocuments', async () => {
      const c = db.collection<{ _id: number; name?: unknown; age?: unknown }>('json_schema_query');
      await c.insertMany([{ _id: 1, name: 'ada', age: 36 }, { _id: 2, name: 7 }, { _id: 3, age: 'x' }, { _id: 4 }]);
      const schema = { required: ['name'], properties: { name: { bsonType: 'string' }, age: { minimum: 18 } } };
      const ids = (docs: { _id: number }[]) => docs.map((d) => d._id);
      expect(ids(await c.find({ $jsonSchema: schema }).toArray())).toEqual([1]);
      const notNamed = { $nor: [{ $jsonSchema: { required: ['name'] } }] };
      expect(ids(await c.aggregate<{ _id: number }>([{ $match: notNamed }, { $sort: { _id: 1 } }]).toArray())).toEqual([
        3, 4,
      ]);
      expect(await c.countDocuments({ $jsonSchema: { properties: { age: { bsonType: 'int' } } } })).toBe(3);
    });
  });

  describe('natural order', () => {
    it('sorts by {$natural: 1} in insertion order and by {$natural: -1} in reverse, an update keeping its place', async () => {
      const c = db.collection<{ _id: number; v?: number }>('natural_order');
      await c.insertMany([{ _id: 3 }, { _id: 1 }, { _id: 2 }, { _id: 5 }]);
      await c.updateOne({ _id: 1 }, { $set: { v: 1 } });
      const ids = async (sort: Document, filter: Document = {}, limit = 0) =>
        (await c.find(filter, { sort, limit }).toArray()).map((d) => d._id);
      expect(await ids({ $natural: 1 })).toEqual([3, 1, 2, 5]);
      expect(await ids({ $natural: -1 })).toEqual([5, 2, 1, 3]);
      expect(await ids({ $natural: -1 }, { _id: { $lt: 5 } }, 2)).toEqual([2, 1]);
    });
  });

  describe('distinct', () => {
    it('answers the values in BSON order (an ordered set in mongod), arrays unwound one level', async () => {
      const c = db.collection('distinct_order');
      await c.insertMany([{ a: [3, 'b', [9]] }, { a: 1 }, { a: { b: 1 } }, { a: null }, { a: 'A' }, {}]);
      expect(await c.distinct('a')).toEqual([null, 1, 3, 'A', 'b', { b: 1 }, [9]]);
      expect(await c.distinct('a', {}, { collation: { locale: 'en' } })).toEqual([null, 1, 3, 'A', 'b', { b: 1 }, [9]]);
      await c.insertMany([{ w: 'b' }, { w: 'C' }, { w: 'a' }]);
      expect(await c.distinct('w')).toEqual(['C', 'a', 'b']);
      expect(await c.distinct('w', {}, { collation: { locale: 'en' } })).toEqual(['a', 'b', 'C']);
    });
  });

  describe('renameCollection', () => {
    it('moves documents and indexes, refuses a taken target unless dropTarget, and runs on admin only', async () => {
      const admin = client.db('admin');
      const ns = (name: string) => `${db.databaseName}.${name}`;
      const source = db.collection<{ _id: number; u?: string }>('rename_src');
      await source.insertMany([
        { _id: 1, u: 'x' },
        { _id: 2, u: 'y' },
      ]);
      await source.createIndex({ u: 1 }, { unique: true, name: 'u_unique' });
      await db.collection<{ _id: number }>('rename_taken').insertOne({ _id: 9 });

      await source.rename('rename_dst');
      const dst = db.collection<{ _id: number; u?: string }>('rename_dst');
      expect(await dst.find().sort({ _id: 1 }).toArray()).toEqual([
        { _id: 1, u: 'x' },
        { _id: 2, u: 'y' },
      ]);
      expect((await indexes(dst)).map((i) => [i.name, (i as { unique?: boolean }).unique ?? false])).toEqual([
        ['_id_', false],
        ['u_unique', true],
      ]);
      expect((await serverError(dst.insertOne({ _id: 3, u: 'x' }))).code).toBe(11000);
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
      expect(names).toContain('rename_dst');
      expect(names).not.toContain('rename_src');

      const code = async (cmd: Document, on: Db = admin) => (await serverError(on.command(cmd))).code;
      expect(await code({ renameCollection: ns('rename_dst'), to: ns('rename_taken') })).toBe(48);
      expect(await code({ renameCollection: ns('rename_none'), to: ns('rename_x') })).toBe(26);
      expect(await code({ renameCollection: ns('rename_dst'), to: ns('rename_x') }, db)).toBe(13);
      await admin.command({ renameCollection: ns('rename_dst'), to: ns('rename_taken'), dropTarget: true });
      expect(await db.collection('rename_taken').countDocuments()).toBe(2);
      expect(await db.collection('rename_dst').countDocuments()).toBe(0);
    });

    it('is refused inside a transaction (263)', async () => {
      await db.collection<{ _id: number }>('rename_txn').insertOne({ _id: 1 });
      await withSession(async (session) => {
        session.startTransaction();
        await db.collection('rename_txn').findOne({}, { session });
        const err = await serverError(
          client
            .db('admin')
            .command(
              { renameCollection: `${db.databaseName}.rename_txn`, to: `${db.databaseName}.rename_txn2` },
              { session },
            ),
        );
        expect(err.code).toBe(263);
      });
    });
  });

  describe('aggregation expressions and window functions', () => {
    it('computes $setWindowFields outputs: running sums, ranks, document numbers, shifts and ranges', async () => {
      const c = db.collection<{ _id: number; g: string; n: number }>('window_fields');
      await c.insertMany([
        { _id: 1, g: 'a', n: 5 },
        { _id: 2, g: 'a', n: 3 },
        { _id: 3, g: 'b', n: 1 },
        { _id: 4, g: 'a', n: 3 },
      ]);
      const run = async (output: Document, sortBy: Document = { _id: 1 }, partitionBy?: string) =>
        c
          .aggregate([
            { $setWindowFields: { ...(partitionBy ? { partitionBy } : {}), sortBy, output } },
            { $project: { _id: 1, ...Object.fromEntries(Object.keys(output).map((k) => [k, 1])) } },
            { $sort: { _id: 1 } },
          ])
          .toArray();
      expect(
        await run({ cs: { $sum: '$n', window: { documents: ['unbounded', 'current'] } } }, { _id: 1 }, '$g'),
      ).toEqual([
        { _id: 1, cs: 5 },
        { _id: 2, cs: 8 },
        { _id: 3, cs: 1 },
        { _id: 4, cs: 11 },
      ]);
      expect(await run({ r: { $rank: {} }, d: { $denseRank: {} } }, { n: 1 })).toEqual([
        { _id: 1, r: 4, d: 3 },
        { _id: 2, r: 2, d: 2 },
        { _id: 3, r: 1, d: 1 },
        { _id: 4, r: 2, d: 2 },
      ]);
      expect(await run({ rn: { $documentNumber: {} } }, { _id: 1 }, '$g')).toEqual([
        { _id: 1, rn: 1 },
        { _id: 2, rn: 2 },
        { _id: 3, rn: 1 },
        { _id: 4, rn: 3 },
      ]);
      expect(await run({ prev: { $shift: { output: '$n', by: -1, default: null } } })).toEqual([
        { _id: 1, prev: null },
        { _id: 2, prev: 5 },
        { _id: 3, prev: 3 },
        { _id: 4, prev: 1 },
      ]);
      expect(await run({ s: { $sum: '$n', window: { range: [-2, 0] } } }, { n: 1 })).toEqual([
        { _id: 1, s: 11 },
        { _id: 2, s: 7 },
        { _id: 3, s: 1 },
        { _id: 4, s: 7 },
      ]);
    });

    it('evaluates $indexOfCP, $toObjectId, $tsSecond/$tsIncrement and $binarySize with mongod null and error answers', async () => {
      const c = db.collection<{ _id: number } & Document>('expressions');
      await c.insertOne({
        _id: 1,
        s: 'héllo wörld',
        h: '507f1f77bcf86cd799439011',
        ts: new Timestamp({ t: 100, i: 7 }),
        b: new Binary(Buffer.from([1, 2, 3])),
      });
      const project = async (p: Document) => (await c.aggregate([{ $project: { _id: 0, ...p } }]).toArray())[0];
      expect(
        await project({
          a: { $indexOfCP: ['$s', 'l'] },
          b: { $indexOfCP: ['$s', 'ö'] },
          c: { $indexOfCP: ['$s', 'l', 4] },
          d: { $indexOfCP: ['$s', 'l', 0, 2] },
          e: { $indexOfCP: ['$missing', 'l'] },
        }),
      ).toEqual({ a: 2, b: 7, c: 9, d: -1, e: null });
      expect(await project({ o: { $toObjectId: '$h' }, n: { $toObjectId: '$missing' } })).toEqual({
        o: new ObjectId('507f1f77bcf86cd799439011'),
        n: null,
      });
      const ts = await project({ t: { $tsSecond: '$ts' }, i: { $tsIncrement: '$ts' } });
      expect([Number(ts?.t), Number(ts?.i)]).toEqual([100, 7]);
      expect(await project({ b: { $binarySize: '$b' }, s: { $binarySize: '$s' } })).toEqual({ b: 3, s: 13 });
      const bad = await serverError(c.aggregate([{ $project: { o: { $toObjectId: 'zz' } } }]).toArray());
      expect([bad.code, bad.codeName]).toEqual([241, 'ConversionFailure']);
      expect((await serverError(c.aggregate([{ $project: { i: { $indexOfCP: [1, 'l'] } } }]).toArray())).code).toBe(
        40093,
      );
    });
  });

  describe('killSessions', () => {
    it("aborts the sessions' transactions and closes their cursors; other sessions are untouched", async () => {
      const c = db.collection<{ _id: number }>('kill_sessions');
      await c.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
      await withSession(async (killed) => {
        await withSession(async (reader) => {
          await withSession(async (other) => {
            killed.startTransaction();
            await c.insertOne({ _id: 10 }, { session: killed });
            other.startTransaction();
            await c.insertOne({ _id: 20 }, { session: other });
            const cursor = c.find({}, { batchSize: 1, session: reader });
            await cursor.next();
            await client.db('admin').command({ killSessions: [killed.id, reader.id] });
            const getMore = await serverError(cursor.toArray());
            expect([43, 237]).toContain(getMore.code);
            const commit = await serverError(killed.commitTransaction());
            expect(commit.code).toBe(251);
            await other.commitTransaction();
          });
        });
      });
      expect((await c.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 2, 3, 20]);
    });
  });

  describe('update counts', () => {
    it('count nothing for a statement that fails, in the reply and in the driver bulk result', async () => {
      const c = db.collection<{ _id: number; a: number; b?: number }>('update_counts');
      await c.insertMany([
        { _id: 1, a: 1 },
        { _id: 2, a: 2 },
        { _id: 3, a: 3 },
      ]);
      await c.createIndex({ a: 1 }, { unique: true });
      const reply = await db.command({
        update: 'update_counts',
        updates: [
          { q: { _id: 1 }, u: { $set: { a: 2 } } },
          { q: { _id: 2 }, u: { $set: { b: 1 } } },
          { q: { _id: 9 }, u: { $set: { a: 3 } }, upsert: true },
        ],
        ordered: false,
      });
      expect([reply.n, reply.nModified]).toEqual([1, 1]);
      expect((reply.writeErrors as { index: number; code: number }[]).map((e) => [e.index, e.code])).toEqual([
        [0, 11000],
        [2, 11000],
      ]);
      const bulk = await c
        .bulkWrite(
          [
            { updateOne: { filter: { _id: 1 }, update: { $set: { a: 3 } } } },
            { updateMany: { filter: {}, update: { $inc: { b: 1 } } } },
          ],
          { ordered: false },
        )
        .catch((err: unknown) => (err as { result: { matchedCount: number; modifiedCount: number } }).result);
      expect([bulk.matchedCount, bulk.modifiedCount]).toEqual([3, 3]);
    });
  });

  // A test command: real servers need enableTestCommands (the drivers' test servers have it), as does the engine.
  describe('the failCommand fail point', () => {
    const failCommand = (mode: Document | string, data: Document): Promise<Document> =>
      client.db('admin').command({ configureFailPoint: 'failCommand', mode, data });

    it('fails the next matching commands as configured, and the driver retries what it may retry', async () => {
      const c = db.collection('failpoint');
      const watched = new MongoClient(uri(), { monitorCommands: true, appName: 'fp-watched' });
      const started: string[] = [];
      const failed: { name: string; labels: string[] }[] = [];
      watched.on('commandStarted', (e) => started.push(e.commandName));
      watched.on('commandFailed', (e) => {
        const err = e.failure as { errorLabels?: string[] };
        failed.push({ name: e.commandName, labels: err.errorLabels ?? [] });
      });
      try {
        const wc = watched.db(db.databaseName).collection('failpoint');
        await failCommand({ times: 1 }, { failCommands: ['find'], errorCode: 11600 });
        expect(await wc.find({}).toArray()).toEqual([]);
        expect(started.filter((n) => n === 'find')).toHaveLength(2);

        await failCommand({ times: 1 }, { failCommands: ['insert'], errorCode: 91 });
        await wc.insertOne({ _id: 1 } as never);
        expect(failed).toEqual([
          { name: 'find', labels: [] },
          { name: 'insert', labels: ['RetryableWriteError'] },
        ]);
        expect(await c.countDocuments()).toBe(1);

        await failCommand('alwaysOn', {
          failCommands: ['insert'],
          writeConcernError: {
            code: 100,
            codeName: 'UnsatisfiableWriteConcern',
            errmsg: 'Not enough data-bearing nodes',
          },
        });
        expect((await serverError(wc.insertOne({ _id: 2 } as never))).code).toBe(100);
        expect(await c.countDocuments()).toBe(2);
        const off = await failCommand('off', { failCommands: [] });
        expect(off.count).toBe(1);

        // Scoped to another application's connections: this client is untouched.
        await failCommand('alwaysOn', { failCommands: ['ping'], closeConnection: true, appName: 'fp-watched' });
        await client.db('admin').command({ ping: 1 });
        await expect(watched.db('admin').command({ ping: 1 })).rejects.toMatchObject({ name: 'MongoNetworkError' });
        await failCommand('off', { failCommands: [] });
        expect((await watched.db('admin').command({ ping: 1 })).ok).toBe(1);

        const unknown = await serverError(
          client.db('admin').command({ configureFailPoint: 'noSuchFailPoint', mode: 'off' }),
        );
        expect(unknown.code).toBe(2);
      } finally {
        await failCommand('off', { failCommands: [] }).catch(() => undefined);
        await watched.close();
      }
    });
  });
}
