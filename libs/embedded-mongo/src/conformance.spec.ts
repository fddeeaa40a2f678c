import { Long, MongoClient, UUID } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConformanceSuite, serverError } from './conformance-suite.js';
import { EmbeddedMongoServer } from './index.js';
import { RawConnection } from './testing/raw-wire.js';

describe('embedded engine: MongoDB 7.0 behaviours of the driver specification tests', () => {
  let server: EmbeddedMongoServer;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start({ enableTestCommands: true });
  });
  afterAll(async () => {
    await server?.stop();
  });
  defineConformanceSuite(() => server.uri);

  it('has no test commands unless started with enableTestCommands, as mongod (59 CommandNotFound)', async () => {
    const plain = await EmbeddedMongoServer.start();
    const client = new MongoClient(plain.uri);
    try {
      const err = await serverError(client.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' }));
      expect([err.code, err.codeName]).toEqual([59, 'CommandNotFound']);
    } finally {
      await client.close();
      await plain.stop();
    }
  });

  // Embedded only for the raw socket (the driver never sends an older txnNumber); mongod answers the same.
  it('refuses a retryable write numbered below the session latest with 225 TransactionTooOld', async () => {
    const conn = await RawConnection.open(Number(new URL(server.uri).port));
    try {
      const lsid = { id: new UUID() };
      const insert = (id: number, txnNumber: number) =>
        conn.command({
          insert: 'c',
          documents: [{ _id: id }],
          lsid,
          txnNumber: Long.fromNumber(txnNumber),
          $db: 'retry_old',
        });
      expect(await insert(1, 5)).toMatchObject({ ok: 1, n: 1 });
      expect(await insert(1, 5)).toMatchObject({ ok: 1, n: 1 });
      expect(await insert(2, 4)).toMatchObject({ ok: 0, code: 225, codeName: 'TransactionTooOld' });
      expect(await insert(3, 6)).toMatchObject({ ok: 1, n: 1 });
    } finally {
      conn.destroy();
    }
  });

  // Embedded only: on a shared real server it would end other suites' transactions.
  it('killAllSessions aborts every open transaction', async () => {
    const client = new MongoClient(server.uri);
    try {
      const c = client.db('kill_all').collection<{ _id: number }>('c');
      await c.insertOne({ _id: 1 });
      const sessions = [client.startSession(), client.startSession()];
      for (const [i, s] of sessions.entries()) {
        s.startTransaction();
        await c.insertOne({ _id: 10 + i }, { session: s });
      }
      await client.db('admin').command({ killAllSessions: [] });
      for (const s of sessions) {
        expect((await serverError(s.commitTransaction())).code).toBe(251);
        await s.endSession();
      }
      expect(await c.countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
  });

  // Embedded only: a real server does all of these; the engine refuses them rather than silently do otherwise.
  it('refuses text, geo, hashed and wildcard indexes (67) and capped or time-series collections (72)', async () => {
    const client = new MongoClient(server.uri);
    try {
      const db = client.db('unsupported');
      const c = db.collection('c');
      await c.insertOne({ t: 'x' });
      for (const key of [{ t: 'text' }, { loc: '2dsphere' }, { t: 'hashed' }, { '$**': 1 }]) {
        expect((await serverError(c.createIndex(key as never))).code).toBe(67);
      }
      expect((await serverError(db.createCollection('capped', { capped: true, size: 4096 }))).code).toBe(72);
      expect((await serverError(db.createCollection('ts', { timeseries: { timeField: 't' } }))).code).toBe(72);
      expect(
        (
          await serverError(
            c.aggregate([{ $out: { db: 'unsupported', coll: 'ts', timeseries: { timeField: 't' } } }]).toArray(),
          )
        ).code,
      ).toBe(72);
    } finally {
      await client.close();
    }
  });
});

const realUri = process.env.MONGODB_TEST_URI;

describe.skipIf(!realUri)('conformance suite against MONGODB_TEST_URI', () => {
  defineConformanceSuite(() => realUri ?? '');
});
