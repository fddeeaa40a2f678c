import { MongoClient, MongoRuntimeError, type GridFSBucket } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedMongoServer } from './index.js';
import { bucketOperation, createBucket } from './testing/unified-gridfs.js';

/** The unified runner's GridFS bucket operations, on files of our own uploaded through the driver. */
describe('unified runner: GridFS bucket operations', () => {
  let server: EmbeddedMongoServer;
  let client: MongoClient;
  let bucket: GridFSBucket;
  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
    client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 3000 }).connect();
    bucket = createBucket(client.db('gridfs-runner'), { bucketName: 'logs', chunkSizeBytes: 3 });
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  const upload = (filename: string, bytes: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const stream = bucket.openUploadStream(filename);
      stream.once('finish', () => resolve(stream.id));
      stream.once('error', reject);
      stream.end(Buffer.from(bytes, 'hex'));
    });
  const hex = (v: unknown): string => Buffer.from((v as { buffer: Uint8Array }).buffer).toString('hex');

  it('downloads by id and by name and revision, across chunks of the bucket chunk size', async () => {
    const first = await upload('night.log', 'a1a2a3a4a5');
    await upload('night.log', 'b1');
    expect(hex(await bucketOperation('download', bucket, { id: first }))).toBe('a1a2a3a4a5');
    expect(hex(await bucketOperation('downloadByName', bucket, { filename: 'night.log', revision: 0 }))).toBe(
      'a1a2a3a4a5',
    );
    expect(hex(await bucketOperation('downloadByName', bucket, { filename: 'night.log' }))).toBe('b1');
  });

  it('renames and deletes every revision of a name, chunks included, and refuses a name no file has', async () => {
    await upload('day.log', 'c1c2c3c4');
    await upload('day.log', 'd1');
    const kept = await upload('other.log', 'e1');
    await bucketOperation('renameByName', bucket, { filename: 'day.log', newFilename: 'noon.log' });
    const files = client.db('gridfs-runner').collection('logs.files');
    expect(await files.countDocuments({ filename: 'noon.log' })).toBe(2);
    await bucketOperation('deleteByName', bucket, { filename: 'noon.log' });
    expect(await files.countDocuments({ filename: 'noon.log' })).toBe(0);
    const chunks = client.db('gridfs-runner').collection('logs.chunks');
    const owners = await chunks.distinct('files_id');
    expect(owners.map(String)).toContain(String(kept));
    expect(await chunks.countDocuments({ files_id: { $nin: await files.distinct('_id') } })).toBe(0);
    await expect(bucketOperation('deleteByName', bucket, { filename: 'noon.log' })).rejects.toBeInstanceOf(
      MongoRuntimeError,
    );
    await expect(
      bucketOperation('renameByName', bucket, { filename: 'noon.log', newFilename: 'x.log' }),
    ).rejects.toBeInstanceOf(MongoRuntimeError);
  });
});
