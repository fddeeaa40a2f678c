import { Long, MongoClient, type Sort } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineDriverSuite } from './driver-suite.js';
import { EmbeddedMongoServer } from './index.js';

describe('embedded engine through the mongodb driver and Mongoose', () => {
  let server: EmbeddedMongoServer;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start({ ttlMonitorIntervalMs: 100 });
  });
  afterAll(async () => {
    await server?.stop();
  });
  defineDriverSuite({ uri: () => server.uri, fastTtl: true });
});

describe('EmbeddedMongoServer lifecycle', () => {
  it('serves on a chosen port and replica-set name, rejects a busy port, and stops idempotently', async () => {
    const server = await EmbeddedMongoServer.start({ replSetName: 'custom-rs' });
    expect(server.host).toBe('127.0.0.1');
    expect(server.uri).toBe(`mongodb://127.0.0.1:${server.port}/?replicaSet=custom-rs`);
    await expect(EmbeddedMongoServer.start({ port: server.port })).rejects.toThrow(/EADDRINUSE/);
    const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 3000 });
    try {
      const hello = await client.db('admin').command({ hello: 1 });
      expect(hello).toMatchObject({
        setName: 'custom-rs',
        hosts: [`127.0.0.1:${server.port}`],
        me: `127.0.0.1:${server.port}`,
      });
    } finally {
      await client.close();
    }
    await server.stop();
    await server.stop();
    const again = await EmbeddedMongoServer.start({ port: server.port });
    expect(again.port).toBe(server.port);
    await again.stop();
  });
});

describe('embedded engine query plans (explain through the driver)', () => {
  it('uses indexes for equality, range, $in and sort, and scans otherwise', async () => {
    const server = await EmbeddedMongoServer.start();
    const client = new MongoClient(server.uri);
    try {
      const c = client.db('plans').collection('users');
      await c.createIndex({ email: 1 }, { unique: true });
      await c.createIndex({ age: 1, name: 1 });
      await c.insertMany(Array.from({ length: 500 }, (_, i) => ({ email: `u${i}@x`, age: i % 50, name: `n${i}` })));
      const stageOf = async (filter: object, sort?: Sort): Promise<string> => {
        const plan = (await c.find(filter, sort ? { sort } : {}).explain()) as {
          queryPlanner: { winningPlan: { stage: string; inputStage?: { stage: string; indexName: string } } };
        };
        const w = plan.queryPlanner.winningPlan;
        return w.inputStage ? `${w.inputStage.stage}:${w.inputStage.indexName}` : w.stage;
      };
      expect(await stageOf({ email: 'u7@x' })).toBe('IXSCAN:email_1');
      expect(await stageOf({ age: { $gte: 10, $lt: 12 } })).toBe('IXSCAN:age_1_name_1');
      expect(await stageOf({ email: { $in: ['u1@x', 'u2@x'] } })).toBe('IXSCAN:email_1');
      expect(await stageOf({}, { age: -1 })).toBe('IXSCAN:age_1_name_1');
      expect(await stageOf({ name: 'n1' })).toBe('COLLSCAN');
      expect(await stageOf({ _id: 'x' })).toBe('IDHACK');
      expect(await c.find({ age: { $gte: 10, $lt: 12 } }).count()).toBe(20);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe('embedded engine cursor lifetime', () => {
  it('closes idle cursors after cursorTimeoutMs (getMore then reports CursorNotFound)', async () => {
    const server = await EmbeddedMongoServer.start({ cursorTimeoutMs: 500 });
    const client = new MongoClient(server.uri);
    try {
      const db = client.db('idle');
      await db.collection('c').insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const first = (await db.command({ find: 'c', filter: {}, batchSize: 2 })) as { cursor: { id: Long | number } };
      const id = Long.fromValue(first.cursor.id);
      await db.command({ getMore: id, collection: 'c', batchSize: 2 });
      await new Promise((r) => setTimeout(r, 1500));
      await expect(db.command({ getMore: id, collection: 'c', batchSize: 2 })).rejects.toMatchObject({ code: 43 });
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

const realUri = process.env.MONGODB_TEST_URI;
if (!realUri) {
  console.info('embedded-mongo: MONGODB_TEST_URI is not set; the same suite against a real MongoDB is skipped.');
}

describe.skipIf(!realUri)('against MONGODB_TEST_URI', () => {
  defineDriverSuite({ uri: () => realUri ?? '', fastTtl: false });
});
