import { EmbeddedMongoServer } from '@app/embedded-mongo';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: EmbeddedMongoServer;

beforeAll(async () => {
  server = await EmbeddedMongoServer.start({});
});

afterAll(async () => {
  await server.stop();
});

describe('the driver on the embedded engine with its default (streaming) monitoring', () => {
  it('keeps the pool across heartbeats: the engine streams its awaitable hello', async () => {
    const client = new mongoose.mongo.MongoClient(server.uri, { heartbeatFrequencyMS: 500 });
    let succeeded = 0;
    const failures: string[] = [];
    let cleared = 0;
    const enough = new Promise<void>((resolve) =>
      client.on('serverHeartbeatSucceeded', () => {
        if (++succeeded >= 4) resolve();
      }),
    );
    client.on('serverHeartbeatFailed', (e) => failures.push(String(e.failure)));
    client.on('connectionPoolCleared', () => cleared++);
    try {
      await client.connect();
      await client.db('probe').collection('c').insertOne({ a: 1 });
      // Before the engine streamed, the second heartbeat (an awaitable hello) already failed and cleared the pool.
      await enough;
      expect(failures).toEqual([]);
      expect(cleared).toBe(0);
      expect(await client.db('probe').collection('c').countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
  });
});
