import { Long, MongoClient } from 'mongodb';
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

describe('embedded engine cursor lifetime', () => {
  it('closes idle cursors after cursorTimeoutMs (getMore then reports CursorNotFound)', async () => {
    const server = await EmbeddedMongoServer.start({ cursorTimeoutMs: 100 });
    const client = new MongoClient(server.uri);
    try {
      const db = client.db('idle');
      await db.collection('c').insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const first = await db.command({ find: 'c', filter: {}, batchSize: 2 });
      const id = Long.fromValue(first.cursor.id);
      await db.command({ getMore: id, collection: 'c', batchSize: 2 });
      await new Promise((r) => setTimeout(r, 400));
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
