import { MongoClient, MongoServerError, ServerApiVersion } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedMongoServer } from './index.js';

describe('Stable API parameters', () => {
  let server: EmbeddedMongoServer;
  let strict: MongoClient;
  let plain: MongoClient;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start({ dataDir: null });
    strict = await MongoClient.connect(server.uri, { serverApi: { version: ServerApiVersion.v1, strict: true } });
    plain = await MongoClient.connect(server.uri);
  });
  afterAll(async () => {
    await strict?.close();
    await plain?.close();
    await server?.stop();
  });

  it('runs version 1 commands under apiStrict and refuses the others with 323 APIStrictError', async () => {
    const shelf = strict.db('api').collection<{ _id: number; colour: string }>('shelf');
    await shelf.insertMany([
      { _id: 1, colour: 'teal' },
      { _id: 2, colour: 'ochre' },
    ]);
    expect(await shelf.countDocuments({ colour: 'teal' })).toBe(1);
    const refused = await shelf.distinct('colour').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MongoServerError);
    expect(refused).toMatchObject({ code: 323, codeName: 'APIStrictError' });
  });

  it('refuses an unknown apiVersion (322) and apiStrict without apiVersion (4886600)', async () => {
    const db = plain.db('api');
    await expect(db.command({ ping: 1, apiVersion: '2' })).rejects.toMatchObject({
      code: 322,
      codeName: 'APIVersionError',
    });
    await expect(db.command({ ping: 1, apiStrict: false })).rejects.toMatchObject({ code: 4886600 });
    await expect(db.command({ ping: 1, apiVersion: '1', apiDeprecationErrors: true })).resolves.toMatchObject({
      ok: 1,
    });
  });
});
